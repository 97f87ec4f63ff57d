import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flipByte } from '../testing/disk.ts';
import { ChunkCache, defaultChunkCacheDir } from './chunk-cache.ts';
import { footerBytes, parseFooter } from './chunk-segment.ts';

const id = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-cache-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));


/** One segment holding `chunks`, written through a writer. */
async function segmentOf(cache: ChunkCache, chunks: Buffer[]): Promise<string> {
  const w = await cache.writer();
  await Promise.all(chunks.map((c) => w.add(id(c), c)));
  await w.commit();
  return (await cache.locate(id(chunks[0]!)))!.seg;
}

describe('ChunkCache', () => {
  it('stores verified bytes only; a damaged segment is dropped on a verified read, while a trusted read returns what is there', async () => {
    const cache = new ChunkCache(dir);
    const a = Buffer.from('alpha');
    const b = Buffer.from('bravo');
    await segmentOf(cache, [a, b]);
    expect(await cache.read(id(a))).toEqual(a);
    await expect(cache.put(id(a), Buffer.from('beta'))).rejects.toThrow(/do not hash/);
    const at = (await cache.locate(id(b)))!;
    await flipByte(join(cache.segmentDir, at.seg), at.offset);
    expect((await cache.read(id(b), { trusted: true }))?.equals(b)).toBe(false); // the caller checks a digest over the whole
    expect(await cache.read(id(b))).toBeNull();
    expect(await cache.has(id(a))).toBe(false); // the whole segment went
    expect(await readdir(cache.segmentDir)).toEqual([]);
    await expect(cache.has('../x')).rejects.toThrow(/not a chunk id/);
    expect(defaultChunkCacheDir({ STEWARD_HOME: '/h' })).toBe('/h/cache/chunks');
  });

  it('keeps many chunks in one segment file and reads them back through one reader', async () => {
    const cache = new ChunkCache(dir);
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
    await segmentOf(cache, chunks);
    expect(await readdir(cache.segmentDir)).toHaveLength(1);
    const r = cache.reader();
    try {
      for (const c of chunks.reverse()) expect((await r.read(id(c)))?.equals(c)).toBe(true);
    } finally {
      await r.close();
    }
    expect([...(await cache.check(chunks.map(id)))]).toEqual([]);
  });

  it('trims least recently used segments first down to the cap, reads count as use', async () => {
    const cache = new ChunkCache(dir, { maxBytes: 400 });
    const chunks = [0, 1, 2, 3].map((i) => Buffer.alloc(100, i));
    for (const [i, c] of chunks.entries()) {
      const seg = await segmentOf(cache, [c]);
      const t = new Date(Date.now() - (10 - i) * 60_000); // put order = age order
      await utimes(join(cache.segmentDir, seg), t, t);
    }
    await cache.read(id(chunks[0]!)); // the oldest becomes the newest
    const res = await cache.trim();
    const segBytes = 100 + footerBytes([{ id: id(chunks[0]!), offset: 0, length: 100 }]).length;
    expect(res).toEqual({ freedBytes: 2 * segBytes, keptBytes: 2 * segBytes });
    const kept = await Promise.all(chunks.map((c) => cache.has(id(c))));
    expect(kept).toEqual([true, false, false, true]);
    expect(await new ChunkCache(dir).hasMany(chunks.map(id))).toEqual(new Set([id(chunks[0]!), id(chunks[3]!)]));
  });

  it('tells which of many ids are cached', async () => {
    const cache = new ChunkCache(dir);
    const all = Array.from({ length: 150 }, (_, i) => Buffer.from(`chunk ${i}`));
    await segmentOf(
      cache,
      all.filter((_, i) => i % 3 === 0),
    );
    const found = await cache.hasMany(all.map(id));
    expect([...found].sort()).toEqual(all.filter((_, i) => i % 3 === 0).map(id).sort());
  });

  it("finds other processes' segments, and concurrent writers of the same chunk leave whole segments and no temp files", async () => {
    const c = Buffer.alloc(200_000, 9);
    const writers = Array.from({ length: 8 }, () => new ChunkCache(dir));
    await Promise.all(writers.map((w) => w.put(id(c), c)));
    const reader = new ChunkCache(dir); // a process started after them
    expect(await reader.read(id(c))).toEqual(c);
    const names = await readdir(reader.segmentDir);
    expect(names).toHaveLength(8);
    expect(names.every((n) => n.endsWith('.seg'))).toBe(true);
  });

  it('makes the segment directory once, and again if the cache was cleared behind its back', async () => {
    const cache = new ChunkCache(join(dir, 'c'));
    const a = Buffer.from('first');
    const b = Buffer.from('second');
    await cache.put(id(a), a);
    await rm(join(dir, 'c'), { recursive: true, force: true }); // a user clearing ~/.steward/cache
    await cache.put(id(b), b);
    expect(await cache.read(id(b))).toEqual(b);
    expect(await cache.read(id(a))).toBeNull(); // its segment went with the directory
    expect(await cache.has(id(a))).toBe(false);
  });

  it('ignores and removes a segment that is not whole; temp files of dead writers and the old one-file-per-chunk layout go at trim', async () => {
    const cache = new ChunkCache(dir);
    const a = Buffer.alloc(5000, 1);
    const b = Buffer.alloc(5000, 2);
    const segA = await segmentOf(cache, [a]);
    await segmentOf(cache, [b]);
    await truncate(join(cache.segmentDir, segA), 5000); // footer gone (power cut before the data reached the disk, say)
    const dead = await cache.writer(); // a writer killed mid-way leaves its temp file behind
    await dead.add(id(a), a);
    const old = new Date(Date.now() - 2 * 3600_000);
    const tmps = (await readdir(cache.segmentDir)).filter((n) => n.endsWith('.tmp'));
    for (const t of tmps) await utimes(join(cache.segmentDir, t), old, old);
    await mkdir(join(dir, 'ab'));
    await writeFile(join(dir, 'ab', 'ab'.repeat(32)), 'a chunk of an older client');

    const fresh = new ChunkCache(dir);
    expect(await fresh.hasMany([id(a), id(b)])).toEqual(new Set([id(b)]));
    expect(await readdir(fresh.segmentDir)).not.toContain(segA);
    await fresh.trim();
    expect((await readdir(fresh.segmentDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(dir)).not.toContain('ab');
    await dead.abort();
  });

  it('counts what it holds, and keeps only the most recent remembered recipes at trim (none when cleared)', async () => {
    const cache = new ChunkCache(dir);
    const chunks = [Buffer.from('a'.repeat(100)), Buffer.from('b'.repeat(200))];
    await segmentOf(cache, chunks);
    const recipeDir = join(dir, 'recipes');
    for (let i = 0; i < 40; i++) {
      const sha = id(Buffer.from(`file ${i}`));
      await cache.putRecipe({ sha256: sha, chunks: chunks.map((c) => ({ id: id(c), size: c.length })) });
      await utimes(join(recipeDir, `${sha}.json`), 1_000 + i, 1_000 + i); // file 39 the newest
    }
    const s = await new ChunkCache(dir).stats(); // a fresh process's view
    expect(s).toMatchObject({ segments: 1, chunks: 2, recipes: 40 });
    expect(s.bytes).toBeGreaterThan(300); // and the footer
    await cache.trim();
    const kept = (await readdir(recipeDir)).sort();
    expect(kept).toEqual(Array.from({ length: 32 }, (_, k) => `${id(Buffer.from(`file ${k + 8}`))}.json`).sort());
    await cache.trim(0);
    expect(await cache.stats()).toEqual({ segments: 0, chunks: 0, bytes: 0, recipes: 0 });
  });

  it('parses only whole footers', () => {
    const entries = [
      { id: 'a'.repeat(64), offset: 0, length: 10 },
      { id: 'b'.repeat(64), offset: 10, length: 5 },
    ];
    const seg = Buffer.concat([Buffer.alloc(15), footerBytes(entries)]);
    expect(parseFooter(seg, seg.length)).toEqual(entries);
    expect(parseFooter(seg.subarray(seg.length - 20), seg.length)).toBe('short');
    expect(parseFooter(seg.subarray(0, seg.length - 1), seg.length - 1)).toBeNull(); // no magic
    const lying = Buffer.concat([Buffer.alloc(14), footerBytes(entries)]); // an entry past the data
    expect(parseFooter(lying, lying.length)).toBeNull();
  });
});
