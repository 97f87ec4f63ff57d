import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkCache, defaultChunkCacheDir } from './chunk-cache.ts';

const id = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ChunkCache', () => {
  it('stores verified bytes only and treats a corrupted file as absent', async () => {
    const cache = new ChunkCache(dir);
    const a = Buffer.from('alpha');
    await cache.put(id(a), a);
    expect(await cache.read(id(a))).toEqual(a);
    await expect(cache.put(id(a), Buffer.from('beta'))).rejects.toThrow(/do not hash/);
    await writeFile(cache.pathOf(id(a)), 'corrupt');
    expect(await cache.read(id(a))).toBeNull();
    expect(await cache.has(id(a))).toBe(false); // removed
    expect(() => cache.pathOf('../x')).toThrow();
    expect(defaultChunkCacheDir({ STEWARD_HOME: '/h' })).toBe('/h/cache/chunks');
  });

  it('trims least recently used chunks first down to the cap, reads count as use', async () => {
    const cache = new ChunkCache(dir, { maxBytes: 250 });
    const chunks = [0, 1, 2, 3].map((i) => Buffer.alloc(100, i));
    for (const [i, c] of chunks.entries()) {
      await cache.put(id(c), c);
      const t = new Date(Date.now() - (10 - i) * 60_000); // put order = age order
      await utimes(cache.pathOf(id(c)), t, t);
    }
    await cache.read(id(chunks[0]!)); // the oldest becomes the newest
    const res = await cache.trim();
    expect(res).toEqual({ freedBytes: 200, keptBytes: 200 });
    const kept = await Promise.all(chunks.map((c) => cache.has(id(c))));
    expect(kept).toEqual([true, false, false, true]);
  });

  it('tells which of many ids are cached (stat calls in batches)', async () => {
    const cache = new ChunkCache(dir);
    const all = Array.from({ length: 150 }, (_, i) => Buffer.from(`chunk ${i}`));
    for (const c of all.filter((_, i) => i % 3 === 0)) await cache.put(id(c), c);
    const found = await cache.hasMany(all.map(id));
    expect([...found].sort()).toEqual(all.filter((_, i) => i % 3 === 0).map(id).sort());
  });

  it('concurrent writers of the same chunk leave one whole file and no temp files', async () => {
    const cache = new ChunkCache(dir);
    const c = Buffer.alloc(200_000, 9);
    await Promise.all(Array.from({ length: 8 }, () => cache.put(id(c), c)));
    expect(await cache.read(id(c))).toEqual(c);
    expect(await readdir(join(dir, id(c).slice(0, 2)))).toEqual([id(c)]);
  });

  it('makes each shard directory once, and again if the cache was cleared behind its back', async () => {
    const cache = new ChunkCache(join(dir, 'c'));
    const a = Buffer.from('first');
    const b = Buffer.from('second');
    await cache.put(id(a), a);
    await rm(join(dir, 'c'), { recursive: true, force: true }); // a user clearing ~/.steward/cache
    await cache.put(id(b), b);
    expect(await cache.read(id(b))).toEqual(b);
    await rm(join(dir, 'c'), { recursive: true, force: true });
    await cache.put(id(a), a); // its shard was made before, then removed: made again
    expect(await cache.read(id(a))).toEqual(a);
  });
});
