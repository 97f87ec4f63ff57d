import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../channels/channels.types.ts';
import { type ChannelRead, createDesiredCache } from './desired-cache.ts';

const read = (stable: string): ChannelRead => ({ rows: [], fallback: { stable } as RoutingTable, tag: stable });

/** A fake database: each read waits until the test releases it with what the channel holds now. */
function fakeReads() {
  const waiting: ((r: ChannelRead) => void)[] = [];
  const changed: string[] = [];
  const cache = createDesiredCache({
    read: () => new Promise<ChannelRead>((resolve) => waiting.push(resolve)),
    onChanged: (k) => changed.push(k),
    log: () => undefined,
  });
  const settle = async (r: ChannelRead) => {
    await new Promise((res) => setTimeout(res, 0));
    for (const w of waiting.splice(0)) w(r);
    await new Promise((res) => setTimeout(res, 0));
  };
  return { cache, waiting, changed, settle };
}

describe('createDesiredCache', () => {
  it('makes the first requests of a channel share one read', async () => {
    const f = fakeReads();
    const a = f.cache.get('m', 'c', 5);
    const b = f.cache.get('m', 'c', 5);
    await f.settle(read('1.0.0'));
    expect(f.waiting).toHaveLength(0);
    expect((await a).value.inForce).toEqual({ stable: '1.0.0' });
    expect(await b).toBe(await a);
  });

  it('answers a new block from the last read at once and re-reads beside it, telling when the tag moved', async () => {
    const f = fakeReads();
    const first = f.cache.get('m', 'c', 5);
    await f.settle(read('1.0.0'));
    await first;
    const next = await f.cache.get('m', 'c', 6); // resolves before the re-read is released
    expect(next.tag).toBe('1.0.0');
    expect(f.waiting).toHaveLength(1);
    await f.settle(read('1.1.0')); // changed through another server
    expect(f.changed).toEqual(['m\u0000c']);
    expect((await f.cache.get('m', 'c', 6)).tag).toBe('1.1.0');
  });

  it('after a drop (a change made here) waits for a fresh read instead of answering from the old one', async () => {
    const f = fakeReads();
    const first = f.cache.get('m', 'c', 5);
    await f.settle(read('1.0.0'));
    await first;
    f.cache.drop('m\u0000c');
    let done = false;
    const after = f.cache.get('m', 'c', 5).then((e) => ((done = true), e));
    await new Promise((res) => setTimeout(res, 5));
    expect(done).toBe(false);
    await f.settle(read('2.0.0'));
    expect((await after).tag).toBe('2.0.0');
  });

  it('a cross-check read that a change made here overtook is discarded, not cached over the fresh one', async () => {
    const f = fakeReads();
    const first = f.cache.get('m', 'c', 5);
    await f.settle(read('1.0.0'));
    await first;
    // The cross-check reads before a change commits; the change drops the channel and a request re-reads.
    const check = f.cache.refresh('m', 'c', 5);
    await new Promise((res) => setTimeout(res, 0));
    const stale = f.waiting.splice(0);
    f.cache.drop('m\u0000c');
    const after = f.cache.get('m', 'c', 5);
    await f.settle(read('2.0.0'));
    expect((await after).tag).toBe('2.0.0');
    for (const w of stale) w(read('1.0.0')); // the old read lands last
    expect(await check).toBe(false);
    expect((await f.cache.get('m', 'c', 5)).tag).toBe('2.0.0');
  });

  it('a cross-check keeps a read whose tag moved (a change made through another server) and says so', async () => {
    const f = fakeReads();
    const first = f.cache.get('m', 'c', 5);
    await f.settle(read('1.0.0'));
    await first;
    const same = f.cache.refresh('m', 'c', 5);
    await f.settle(read('1.0.0'));
    expect(await same).toBe(false);
    const moved = f.cache.refresh('m', 'c', 5);
    await f.settle(read('1.1.0'));
    expect(await moved).toBe(true);
    expect((await f.cache.get('m', 'c', 5)).tag).toBe('1.1.0');
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const cache = createDesiredCache({ read: async () => (fail ? Promise.reject(new Error('db down')) : read('1.0.0')), onChanged: () => undefined, log: () => undefined });
    await expect(cache.get('m', 'c', 5)).rejects.toThrow('db down');
    fail = false;
    await new Promise((res) => setTimeout(res, 0));
    expect((await cache.get('m', 'c', 5)).tag).toBe('1.0.0');
  });
});
