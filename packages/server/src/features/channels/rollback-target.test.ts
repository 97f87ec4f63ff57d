import { describe, expect, it } from 'vitest';
import type { ChannelEvent } from './channels.types.ts';
import { previousStable, stableStack } from './rollback-target.ts';

let seq = 0;
const ev = (kind: 'set' | 'rollback', stable: string): ChannelEvent => ({
  id: String(++seq), seq, model: 'm', channel: 'c', kind, from: null, to: { stable }, author: 'a', reason: '', at: '',
});

describe('rollback target', () => {
  it('goes back one step per rollback instead of toggling', () => {
    const h = [ev('set', '1.0.0'), ev('set', '1.1.0'), ev('set', '1.2.0')];
    expect(previousStable(h)).toBe('1.1.0');
    h.push(ev('rollback', '1.1.0'));
    expect(stableStack(h)).toEqual(['1.0.0', '1.1.0']);
    expect(previousStable(h)).toBe('1.0.0');
    h.push(ev('rollback', '1.0.0'));
    expect(previousStable(h)).toBeUndefined();
  });
  it('treats a rollback to a version not on the stack as a push', () => {
    const h = [ev('set', '1.0.0'), ev('set', '2.0.0'), ev('rollback', '0.9.0')];
    expect(stableStack(h)).toEqual(['1.0.0', '2.0.0', '0.9.0']);
  });
  it('ignores re-setting the same version', () => {
    expect(stableStack([ev('set', '1.0.0'), ev('set', '1.0.0')])).toEqual(['1.0.0']);
  });
});
