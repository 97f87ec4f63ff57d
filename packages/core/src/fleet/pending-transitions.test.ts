import { describe, expect, it } from 'vitest';
import { type PendingTransitionRef, mustWait } from './pending-transitions.ts';

const t = (id: string, proposedAtBlock: number, usableFromBlock?: number, channel = 'production'): PendingTransitionRef => ({
  id,
  model: 'llama',
  channel,
  proposedAtBlock,
  usableFromBlock,
});

describe('mustWait (one pending transition per channel)', () => {
  it('lets the first proposal through and queues a newer one behind it', () => {
    const first = t('a', 5);
    const second = t('b', 7);
    expect(mustWait(first, [first, second], 8)).toEqual({ wait: false });
    expect(mustWait(second, [first, second], 8)).toEqual({ wait: true, behind: first });
  });

  it('keeps waiting while the one ahead is scheduled but not yet in force, then proceeds', () => {
    const ahead = t('a', 5, 20);
    expect(mustWait(t('b', 7), [ahead], 19)).toMatchObject({ wait: true, behind: { id: 'a' } });
    expect(mustWait(t('b', 7), [ahead], 20)).toEqual({ wait: false });
  });

  it('is blocked by a scheduled transition even if it was proposed later (a rollback)', () => {
    expect(mustWait(t('a', 5), [t('a', 5), t('rb', 9, 10)], 9)).toMatchObject({ wait: true, behind: { id: 'rb' } });
  });

  it('orders proposals of the same block by id, and ignores other channels and models', () => {
    expect(mustWait(t('b', 5), [t('a', 5)], 6)).toMatchObject({ wait: true, behind: { id: 'a' } });
    expect(mustWait(t('a', 5), [t('b', 5)], 6)).toEqual({ wait: false });
    expect(mustWait(t('b', 7), [t('a', 5, undefined, 'staging'), { ...t('c', 1), model: 'other' }], 8)).toEqual({ wait: false });
  });
});
