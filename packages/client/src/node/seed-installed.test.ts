import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createFsInstaller } from '../agent/node/fs-installer.ts';
import { StewardClient } from '../client.ts';
import { startFakeServer } from '../testing/fake-server.ts';
import { ChunkCache } from './chunk-cache.ts';
import { planPull, pullVersion } from './pull.ts';
import { pushVersion } from './push.ts';
import { seedFromInstalled } from './seed-installed.ts';
import { seededBytes } from '@steward/core';

const KiB = 1024;
let fake: Awaited<ReturnType<typeof startFakeServer>>;
let client: StewardClient;
let dir: string;
let v1: Buffer;
let v2: Buffer;
beforeEach(async () => {
  fake = await startFakeServer();
  client = new StewardClient({ url: fake.url, token: fake.state.token });
  await client.models.create({ name: 'llm' });
  dir = await mkdtemp(join(tmpdir(), 'steward-seed-'));
  await mkdir(join(dir, 'src'));
  // v2: 64 KiB of v1 overwritten in the middle (a fine-tuned tensor, say).
  // Seeded, not random: how many chunks an edit touches varies with the bytes (a bound below would fail now and then).
  v1 = Buffer.from(seededBytes(4096 * KiB, 51));
  v2 = Buffer.from(v1);
  Buffer.from(seededBytes(64 * KiB, 52)).copy(v2, 2000 * KiB);
  for (const [version, bytes] of [['1.0.0', v1], ['1.1.0', v2]] as const) {
    await writeFile(join(dir, 'src', 'w.bin'), bytes);
    await pushVersion(client, { model: 'llm', version, paths: ['w.bin'], cwd: join(dir, 'src'), upload: fast, digests: null });
  }
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const fast = { batchBytes: 256 * KiB, concurrency: 2, retry: { attempts: 2, baseDelayMs: 1 } };
const out = () => join(dir, 'out');
const pull = (ref: string, cache: string, extra: { seed?: boolean } = {}) =>
  pullVersion(client, { model: 'llm', ref, outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, cache), fetch: fast, ...extra });

it('a pull over an installed version fetches only what changed, even with an empty cache', async () => {
  await pull('1.0.0', 'cache-a');
  // Another cache (cleared, or another machine's image): without seeds the whole file would come.
  const dry = await planPull(client, { model: 'llm', ref: '1.1.0', outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, 'cache-b') });
  expect(dry.transferBytes).toBeLessThan(1024 * KiB);
  expect(dry.plan.seededBytes).toBeGreaterThan(3000 * KiB);
  expect((await new ChunkCache(join(dir, 'cache-b')).stats()).chunks).toBe(0); // a dry run copies nothing

  const res = await pull('1.1.0', 'cache-b');
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
  expect(res.transferredBytes).toBeLessThan(1024 * KiB);
  expect(res.chunksFetched).toBe(dry.plan.fetch.length); // the dry run's count, made before any copy
  expect(res.chunksSeeded).toBe(dry.plan.seededChunks);
  expect(res.seededBytes + res.transferredBytes).toBeGreaterThanOrEqual(v2.length);
  // The old file's recipe is remembered: the next pull back to 1.0.0 asks for deltas against it.
  expect((await new ChunkCache(join(dir, 'cache-b')).stats()).recipes).toBe(2);
});

it('a cache that covers the installed file is not seeded again (nothing is chunked or copied)', async () => {
  await pull('1.0.0', 'cache');
  const before = await new ChunkCache(join(dir, 'cache')).stats();
  const seeds = await seedFromInstalled(new ChunkCache(join(dir, 'cache')), [join(out(), 'w.bin')]);
  expect(seeds).toMatchObject({ files: 0, chunks: 0 });
  const res = await pull('1.1.0', 'cache');
  // Only the fetched chunks were added: the installed file was neither chunked nor copied.
  expect([res.chunksSeeded, (await new ChunkCache(join(dir, 'cache')).stats()).chunks - before.chunks]).toEqual([0, res.chunksFetched]);
  expect(res.transferredBytes).toBeLessThan(1024 * KiB);
});

it('seed: false fetches every chunk the cache lacks', async () => {
  await pull('1.0.0', 'cache-a');
  const res = await pull('1.1.0', 'cache-b', { seed: false });
  expect([res.chunksSeeded, res.transferredBytes >= v2.length * 0.99]).toEqual([0, true]);
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
});

it('an installed file that is not another version costs nothing but the look, and one that changes under the copy is cut short, verified', async () => {
  await mkdir(out());
  await writeFile(join(out(), 'w.bin'), randomBytes(512 * KiB)); // unrelated bytes at the target
  const res = await pull('1.1.0', 'cache');
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
  expect(res.chunksSeeded).toBe(0);

  // Chunked, then changed before its chunks are copied: only chunks that still hash to their ids go in.
  const cache = new ChunkCache(join(dir, 'cache-c'));
  await writeFile(join(out(), 'w.bin'), v1);
  const real = cache.hasMany.bind(cache);
  cache.hasMany = async (ids) => {
    const r = await real(ids);
    await writeFile(join(out(), 'w.bin'), Buffer.concat([v1.subarray(0, 1024 * KiB), randomBytes(3072 * KiB)])); // after chunking, before the copy
    return r;
  };
  const seeds = await seedFromInstalled(cache, [join(out(), 'w.bin')]);
  expect(seeds.files).toBe(1);
  expect(seeds.bytes).toBeGreaterThan(0);
  expect(seeds.bytes).toBeLessThanOrEqual(1024 * KiB);
  expect(await cache.check([...seeds.ids])).toEqual([]); // every copied chunk verifies
  expect((await cache.stats()).recipes).toBe(0); // a partial seed is not remembered as a base
});

it('other directories seed too: the agent installs each version in its own and seeds from the others', async () => {
  const installer = createFsInstaller(client, { cacheDir: join(dir, 'installed'), home: join(dir, 'home') });
  await installer.install('llm', '1.0.0');
  await rm(join(dir, 'home', 'cache'), { recursive: true, force: true }); // the chunk cache is gone (trimmed, cleared)
  const before = fake.state.fetchedBytes;
  const got = await installer.install('llm', '1.1.0');
  expect(Buffer.from(await got.files.read('w.bin')).equals(v2)).toBe(true);
  expect(fake.state.fetchedBytes - before).toBeLessThan(1024 * KiB);
  // And through pullVersion's option.
  const res = await pullVersion(client, { model: 'llm', ref: '1.1.0', outDir: join(dir, 'elsewhere'), home: join(dir, 'home'), cacheDir: join(dir, 'cache-x'), fetch: fast, seedFrom: [join(dir, 'installed', 'llm', '1.0.0')] });
  expect([res.transferredBytes < 1024 * KiB, res.chunksSeeded > 0]).toEqual([true, true]);
});

it('a file of the output directory that the new version does not name seeds too (versions with their own file names)', async () => {
  await mkdir(out());
  await writeFile(join(out(), 'w-1.0.0.bin'), v1);
  const res = await pull('1.1.0', 'cache');
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
  expect([res.transferredBytes < 1024 * KiB, res.chunksSeeded > 0]).toEqual([true, true]);
});

it('other data in the output directory is not read: only files like one to write (extension, size within 4 ×)', async () => {
  await mkdir(out());
  await writeFile(join(out(), 'w-1.0.0.csv'), v1); // the old bytes, but not a .bin
  await writeFile(join(out(), 'w-tiny.bin'), v1.subarray(0, 512 * KiB)); // a .bin, but an eighth of the size
  const res = await pull('1.1.0', 'cache');
  expect([res.chunksSeeded, res.transferredBytes >= v2.length * 0.99]).toEqual([0, true]);
});

it('reports the seeds it reads as a chunk phase of the progress', async () => {
  await pull('1.0.0', 'cache-a');
  const phases: string[] = [];
  await pullVersion(client, { model: 'llm', ref: '1.1.0', outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, 'cache-b'), fetch: fast, onProgress: (p) => phases.push(`${p.phase}:${p.path === join(out(), 'w.bin') ? 'seed' : p.path}`) });
  expect(phases[0]).toBe('chunk:seed');
  expect(phases).toContain('download:w.bin');
});

it('reads an installed file of the right size once: the chunking that seeds it also says it is not the wanted file', async () => {
  await pull('1.0.0', 'cache-a');
  const read = new Map<string, number>(); // bytes read per phase, for the file at the target
  const res = await pullVersion(client, {
    model: 'llm', ref: '1.1.0', outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, 'cache-b'), fetch: fast,
    onProgress: (p) => {
      if (p.phase !== 'download') read.set(p.phase, p.bytes);
    },
  });
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
  expect(res.transferredBytes).toBeLessThan(1024 * KiB);
  expect(Object.fromEntries(read)).toEqual({ chunk: v1.length }); // chunked once, not hashed first
});

it('an installed file that is already right is skipped, whether the cache covers it (hashed) or not (chunked, nothing copied)', async () => {
  await pull('1.1.0', 'cache-a');
  const phases = new Set<string>();
  const onProgress = (p: { phase: string }) => phases.add(p.phase);
  const warm = await pullVersion(client, { model: 'llm', ref: '1.1.0', outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, 'cache-a'), fetch: fast, onProgress });
  expect([warm.skipped, warm.transferredBytes, [...phases]]).toEqual([1, 0, ['hash']]);
  phases.clear();
  const cold = await pullVersion(client, { model: 'llm', ref: '1.1.0', outDir: out(), home: join(dir, 'home'), cacheDir: join(dir, 'cache-b'), fetch: fast, onProgress });
  expect([cold.skipped, cold.transferredBytes, cold.chunksSeeded, [...phases]]).toEqual([1, 0, 0, ['chunk']]);
  expect((await new ChunkCache(join(dir, 'cache-b')).stats()).chunks).toBe(0);
  expect((await readFile(join(out(), 'w.bin'))).equals(v2)).toBe(true);
});

it('looks through the remembered recipes only as far as needed, and goes on from there for the next file', async () => {
  const v3 = Buffer.concat([v2, randomBytes(100 * KiB)]); // another size
  await writeFile(join(dir, 'src', 'w.bin'), v3);
  await pushVersion(client, { model: 'llm', version: '1.2.0', paths: ['w.bin'], cwd: join(dir, 'src'), upload: fast, digests: null });
  const cache = new ChunkCache(join(dir, 'cache'));
  await pull('1.0.0', 'cache');
  await pull('1.2.0', 'cache'); // recipes remembered: 1.2.0's (newest), then 1.0.0's
  let read = 0;
  const real = cache.eachRecipe.bind(cache);
  cache.eachRecipe = async function* (limit) {
    for await (const r of real(limit)) {
      read++;
      yield r;
    }
  };
  await writeFile(join(dir, 'v1.bin'), v1);
  const seeds = await seedFromInstalled(cache, [join(out(), 'w.bin'), join(dir, 'v1.bin')]);
  expect([seeds.files, read]).toEqual([0, 2]); // 1.2.0's file: the first recipe read; 1.0.0's: the next one, read then
});

it('a chunk repeated within a seed is copied once', async () => {
  const cache = new ChunkCache(join(dir, 'cache-z'));
  const zeros = Buffer.alloc(2048 * KiB); // max-size chunks of zeros, all the same id
  await writeFile(join(dir, 'zeros.bin'), zeros);
  const seeds = await seedFromInstalled(cache, [join(dir, 'zeros.bin')]);
  expect(seeds.files).toBe(1);
  expect(seeds.chunks).toBe(seeds.ids.size);
  expect((await cache.stats()).chunks).toBe(seeds.ids.size);
});
