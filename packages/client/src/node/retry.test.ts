import { describe, expect, it } from 'vitest';
import { StewardApiError } from '../errors.ts';
import { isTransient, withRetry } from './retry.ts';

const answer = (status: number, code: string) => new StewardApiError(code, `HTTP ${status}`, status);

describe('withRetry', () => {
  it('retries what may pass (no answer, 5xx, 429) and gives up at once on 4xx and on 507 storage_full', () => {
    expect(isTransient(new Error('socket hang up'))).toBe(true);
    expect(isTransient(answer(0, 'network'))).toBe(true);
    expect(isTransient(answer(503, 'shutting_down'))).toBe(true);
    expect(isTransient(answer(429, 'rate_limited'))).toBe(true);
    expect(isTransient(answer(409, 'chunk_missing'))).toBe(false);
    expect(isTransient(answer(507, 'storage_full'))).toBe(false);
  });

  it('asks once when the server says its storage is full', async () => {
    let calls = 0;
    const err = answer(507, 'storage_full');
    await expect(withRetry(async () => {
      calls++;
      throw err;
    }, { baseDelayMs: 1 })).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it('tries a 5xx again, up to the attempts given', async () => {
    let calls = 0;
    await expect(withRetry(async () => {
      calls++;
      throw answer(500, 'internal');
    }, { attempts: 3, baseDelayMs: 1 })).rejects.toMatchObject({ status: 500 });
    expect(calls).toBe(3);
  });
});
