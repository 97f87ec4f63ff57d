import { describe, expect, it } from 'vitest';
import { DeltaFrameCache, NEVER_ASKED_AGAIN_MS, resolveDeltaCacheSize, UNUSED_FOR_MS } from './delta-frames.ts';

const key = (i: number) => DeltaFrameCache.key(String(i).padStart(64, '0'), ['b'.repeat(64)]);
const frame = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('DeltaFrameCache', () => {
  it('answers what it was given, remembers "no gain" as null, and counts hits and misses', () => {
    const c = new DeltaFrameCache(1 << 20);
    expect(c.get(key(1))).toBeUndefined();
    c.set(key(1), frame(1000, 7));
    c.set(key(2), null);
    expect(c.get(key(1))!.equals(frame(1000, 7))).toBe(true);
    expect(c.get(key(2))).toBeNull();
    expect(c.stats()).toMatchObject({ entries: 2, hits: 2, misses: 1 });
  });

  it('setting a key it holds changes nothing, even with no room left (a key names its frame)', () => {
    const c = new DeltaFrameCache(2 * (10_000 + 400));
    c.set(key(1), frame(10_000, 1));
    c.set(key(2), frame(10_000, 2));
    c.set(key(1), frame(5_000, 3)); // what a caller could pass; the server never does
    expect(c.stats()).toMatchObject({ entries: 2 });
    expect([c.get(key(1))!.length, c.get(key(1))![0]]).toEqual([10_000, 1]);
    expect(c.get(key(2))![0]).toBe(2);
  });

  it('keeps a copy of its own size: the caller may reuse its buffer, and a small view pins no larger allocation', () => {
    const c = new DeltaFrameCache(1 << 20);
    const big = Buffer.alloc(64 * 1024, 3);
    c.set(key(1), big.subarray(0, 100));
    big.fill(9);
    const got = c.get(key(1))!;
    expect([got.length, got.buffer.byteLength, got[0]]).toEqual([100, 100, 3]);
  });

  it('makes room from the least recently used end, out of frames gone unused (1 min if never asked for again, 10 min else)', () => {
    let t = 0;
    const c = new DeltaFrameCache(3 * (10_000 + 400), () => t);
    for (let i = 1; i <= 3; i++) c.set(key(i), frame(10_000));
    c.get(key(2)); // asked for again
    c.set(key(4), frame(10_000));
    expect(c.stats().entries).toBe(3); // all in use: 4 was not kept
    t += NEVER_ASKED_AGAIN_MS;
    c.set(key(4), frame(10_000)); // 1 goes (never asked for again, a minute old)
    c.set(key(5), frame(10_000)); // 3 goes; 2 stays (asked for again, under ten minutes)
    expect(c.stats()).toMatchObject({ entries: 3 });
    expect(c.stats().bytes).toBeLessThanOrEqual(c.maxBytes);
    t += UNUSED_FOR_MS - NEVER_ASKED_AGAIN_MS - 1;
    c.set(key(6), frame(10_000)); // 2 asked for again at 0: not yet ten minutes, so 6 is not kept
    expect([1, 2, 3, 4, 5, 6].map((i) => c.get(key(i)) !== undefined)).toEqual([false, true, false, true, true, false]);
    // Replacing an entry does not count it twice.
    c.set(key(4), frame(10_000));
    expect(c.stats().entries).toBe(3);
  });

  it('a step larger than the budget, asked for in the same order by device after device: each finds what fits', () => {
    const c = new DeltaFrameCache(4 * (10_000 + 400));
    const step = Array.from({ length: 10 }, (_, i) => key(i));
    const device = () => {
      let hits = 0;
      for (const k of step) {
        if (c.get(k) !== undefined) hits++;
        else c.set(k, frame(10_000));
      }
      return hits;
    };
    expect(device()).toBe(0);
    const next = [device(), device(), device(), device()];
    expect(next).toEqual([4, 4, 4, 4]); // what fits, every time (plain LRU: 0 every time)
  });

  it('computes each frame once: devices asking while it is computed wait for it, and "no gain" is remembered as such', async () => {
    const c = new DeltaFrameCache(1 << 20);
    let computed = 0;
    let release!: () => void;
    const slow = () => {
      computed++;
      return new Promise<Buffer | null>((r) => (release = () => r(frame(100, 5))));
    };
    const first = c.frame(key(1), slow);
    const second = c.frame(key(1), slow);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect([computed, a!.equals(frame(100, 5)), b === a]).toEqual([1, true, true]);
    expect((await c.frame(key(1), slow))!.equals(frame(100, 5))).toBe(true);
    const none = async () => {
      computed++;
      return null;
    };
    expect(await c.frame(key(2), none)).toBeNull();
    expect(await c.frame(key(2), none)).toBeNull();
    expect([computed, c.stats().hits, c.stats().misses]).toEqual([2, 3, 2]);
    // A failed computation is not remembered: the next device tries again.
    await expect(c.frame(key(3), async () => Promise.reject(new Error('base gone')))).rejects.toThrow('base gone');
    expect(await c.frame(key(3), async () => frame(10))).not.toBeNull();
  });

  it('with a budget of 0 remembers nothing; an entry larger than the budget is not kept', () => {
    const off = new DeltaFrameCache(0);
    off.set(key(1), frame(10));
    expect([off.get(key(1)), off.stats().entries]).toEqual([undefined, 0]);
    const small = new DeltaFrameCache(1000);
    small.set(key(1), frame(5000));
    expect(small.stats().entries).toBe(0);
  });

  it('takes its budget from the option, else STEWARD_DELTA_CACHE_SIZE, else 64 MiB, and refuses nonsense', () => {
    expect(resolveDeltaCacheSize(5, {})).toBe(5);
    expect(resolveDeltaCacheSize(undefined, { STEWARD_DELTA_CACHE_SIZE: '0' })).toBe(0);
    expect(resolveDeltaCacheSize(undefined, {})).toBe(64 * 1024 * 1024);
    expect(() => resolveDeltaCacheSize(undefined, { STEWARD_DELTA_CACHE_SIZE: '2GB' })).toThrow(/delta cache size/);
    expect(() => resolveDeltaCacheSize(-1, {})).toThrow(/delta cache size/);
  });
});
