import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES } from '../api/chunk-frames.ts';
import { StewardClient } from '../client.ts';
import { flipByte } from '../testing/disk.ts';
import { startFakeServer } from '../testing/fake-server.ts';
import { ChunkCache } from './chunk-cache.ts';
import { planPull, pullVersion } from './pull.ts';
import { pushVersion } from './push.ts';
import { seededBytes } from '@steward/core';

const KiB = 1024;
let fake: Awaited<ReturnType<typeof startFakeServer>>;
let client: StewardClient;
let dir: string;
let src: string;
beforeEach(async () => {
  fake = await startFakeServer();
  client = new StewardClient({ url: fake.url, token: fake.state.token });
  await client.models.create({ name: 'llm' });
  dir = await mkdtemp(join(tmpdir(), 'steward-delta-'));
  src = join(dir, 'src');
  await mkdir(src);
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const fast = { batchBytes: 256 * KiB, concurrency: 2, retry: { attempts: 2, baseDelayMs: 1 } };
const push = (version: string) => pushVersion(client, { model: 'llm', version, paths: ['w.bin'], cwd: src, upload: fast });
const pull = (ref: string, out = join(dir, 'out')) =>
  pullVersion(client, { model: 'llm', ref, outDir: out, home: join(dir, 'home'), cacheDir: join(dir, 'cache'), fetch: fast });
const storedBytes = () => [...fake.state.chunks.values()].reduce((n, b) => n + b.length, 0);

/** v1: 4 MiB random; v2: 64 KiB overwritten in the middle (a fine-tuned tensor, say). */
async function twoVersions(): Promise<{ v1: Buffer; v2: Buffer }> {
  // Seeded, not random: how many chunks an edit touches varies with the bytes (a bound below would fail now and then).
  const v1 = Buffer.from(seededBytes(4096 * KiB, 41));
  const v2 = Buffer.from(v1);
  Buffer.from(seededBytes(64 * KiB, 42)).copy(v2, 2000 * KiB);
  return { v1, v2 };
}

describe('delta push and pull', () => {
  it('a changed region costs a few chunks both ways; dry-run predicts the pull exactly', async () => {
    const { v1, v2 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    const first = await push('1.0.0');
    expect(first.uploadedBytes).toBe(v1.length);
    expect(storedBytes()).toBe(v1.length);
    await writeFile(join(src, 'w.bin'), v2);
    const second = await push('1.1.0');
    // 64 KiB edit: the chunks it touches plus resync, at most ~4 max-size chunks.
    expect(second.uploadedBytes).toBeGreaterThanOrEqual(64 * KiB);
    expect(second.uploadedBytes).toBeLessThan(1024 * KiB);
    expect(second.chunks!.uploaded).toBeLessThan(second.chunks!.total / 4);

    // The fake answers uncompressed frames (as a server without encodings would): payload + 36-byte headers.
    const pulled = await pull('1.0.0');
    expect(pulled.transferredBytes).toBe(v1.length + FRAME_HEADER_BYTES * pulled.chunksFetched);
    const plan = await planPull(client, { model: 'llm', ref: '1.1.0', outDir: join(dir, 'out'), home: join(dir, 'home'), cacheDir: join(dir, 'cache') });
    expect(plan.files.map((f) => f.path)).toEqual(['w.bin']);
    const before = fake.state.fetchedBytes;
    const wireBefore = fake.state.fetchedWireBytes;
    const res = await pull('1.1.0');
    expect(fake.state.fetchedBytes - before).toBe(plan.transferBytes);
    expect(res.transferredBytes).toBe(fake.state.fetchedWireBytes - wireBefore);
    expect(res.transferredBytes).toBe(plan.transferBytes + FRAME_HEADER_BYTES * res.chunksFetched);
    expect(plan.transferBytes).toBeLessThan(1024 * KiB);
    expect(createHash('sha256').update(await readFile(join(dir, 'out', 'w.bin'))).digest('hex')).toBe(
      createHash('sha256').update(v2).digest('hex'),
    );
    // Nothing to do the second time: the file is there.
    expect(await pull('1.1.0')).toMatchObject({ skipped: 1, downloaded: 0, transferredBytes: 0 });
  });

  it('uploads while later segments are still being chunked, and reports one chunk phase then one upload phase', async () => {
    const bytes = randomBytes(8192 * KiB);
    await writeFile(join(src, 'w.bin'), bytes);
    const phases: string[] = [];
    const res = await pushVersion(client, {
      model: 'llm', version: '1.0.0', paths: ['w.bin'], cwd: src, upload: fast, threads: 1, segmentBytes: 256 * KiB, // 32 tasks, each dispatched by the main thread between its HTTP answers
      onProgress: (p) => phases.push(`${p.phase}:${p.bytes}`),
    });
    expect(res.uploadedBytes).toBe(bytes.length);
    // The server saw a chunk upload before the last "which are missing" question: uploads began mid-chunking.
    const firstUpload = fake.state.log.indexOf('POST /chunks');
    const lastMissing = fake.state.log.lastIndexOf('POST /chunks/missing');
    expect(firstUpload).toBeGreaterThan(-1);
    expect(firstUpload).toBeLessThan(lastMissing);
    const kinds = phases.map((p) => p.split(':')[0]);
    expect(kinds.indexOf('upload')).toBeGreaterThan(kinds.lastIndexOf('chunk'));
    expect(phases.at(-1)).toBe(`upload:${bytes.length}`);
  });

  it('an interrupted push resumes without re-sending stored chunks', async () => {
    const { v1 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    fake.state.dropUploadsAfter = 5;
    await expect(push('1.0.0')).rejects.toThrow();
    const storedFirst = storedBytes();
    expect(storedFirst).toBeGreaterThan(0);
    expect(storedFirst).toBeLessThan(v1.length);
    fake.state.dropUploadsAfter = undefined;
    const res = await push('1.0.0');
    expect(res.uploadedBytes).toBe(v1.length - storedFirst);
    expect(storedBytes()).toBe(v1.length);
  });

  it('an early recipe left pending is asked about again with its size only, and declared whole again if the server lost it', async () => {
    const bodies: string[] = [];
    const recording = new StewardClient({
      url: fake.url,
      token: fake.state.token,
      fetch: async (input, init) => {
        if (new URL(input).pathname.endsWith('/recipe') && init?.method === 'PUT') {
          bodies.push(JSON.parse(String(init.body)).chunks ? 'recipe' : 'size');
          if (bodies.length === 3) fake.state.pendingRecipes.clear(); // as a restarted server would have
        }
        return fetch(input, init);
      },
    });
    fake.state.uploadDelayMs = 400; // each batch takes 0.4 s: the 1 s waits run out before the upload ends
    await writeFile(join(src, 'w.bin'), randomBytes(2048 * KiB));
    const res = await pushVersion(recording, { model: 'llm', version: '3.0.0', paths: ['w.bin'], cwd: src, upload: { ...fast, concurrency: 1 }, recipeWaitSeconds: 1 });
    expect(res.uploaded).toBe(1);
    // declared, re-asked by size, re-asked by size (the server lost it: 404), declared again, ...
    expect(bodies.slice(0, 4)).toEqual(['recipe', 'size', 'size', 'recipe']);
    expect(fake.state.blobs.has(createHash('sha256').update(await readFile(join(src, 'w.bin'))).digest('hex'))).toBe(true);
  }, 30_000);

  it('a push SIGKILLed mid-way resumes without re-sending stored chunks', async () => {
    const bytes = randomBytes(6144 * KiB);
    await writeFile(join(src, 'w.bin'), bytes);
    fake.state.uploadDelayMs = 40;
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../testing/push-child.ts', import.meta.url))], {
      env: { ...process.env, STEWARD_URL: fake.url, STEWARD_TOKEN: fake.state.token, PUSH_MODEL: 'llm', PUSH_VERSION: '1.0.0', PUSH_DIR: src, PUSH_PATHS: 'w.bin', PUSH_BATCH_BYTES: String(256 * KiB) },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (fake.state.uploadsAccepted < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    fake.state.uploadDelayMs = 0;
    const storedFirst = storedBytes();
    expect(storedFirst).toBeGreaterThan(0);
    expect(storedFirst).toBeLessThan(bytes.length);
    const res = await push('1.0.0');
    expect(res.uploadedBytes).toBe(bytes.length - storedFirst);
  }, 30_000);

  it('an interrupted pull resumes from the cache without fetching cached chunks again', async () => {
    const { v1 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    await push('1.0.0');
    fake.state.dropFetchesAfter = 3;
    await expect(pull('1.0.0')).rejects.toThrow();
    const firstFetched = fake.state.fetchedBytes;
    const firstWire = fake.state.fetchedWireBytes;
    expect(firstFetched).toBeGreaterThan(0);
    fake.state.dropFetchesAfter = undefined;
    const res = await pull('1.0.0');
    // Everything fetched the second time is exactly what the cache lacked.
    expect(fake.state.fetchedWireBytes - firstWire).toBe(res.transferredBytes);
    expect(fake.state.fetchedBytes - firstFetched).toBe(res.transferredBytes - FRAME_HEADER_BYTES * res.chunksFetched);
    expect(res.transferredBytes).toBeLessThan(v1.length);
    expect(res.chunksCached).toBeGreaterThan(0);
    expect((await readFile(join(dir, 'out', 'w.bin'))).equals(v1)).toBe(true); // not toEqual: a deep diff of MiBs takes a minute
  });

  it('rebuilds files while their chunks arrive, and a pull failing late leaves the old version in place and no temp files', async () => {
    const v1 = randomBytes(2048 * KiB);
    const v2 = randomBytes(6144 * KiB); // nothing shared: every chunk is fetched
    await writeFile(join(src, 'w.bin'), v1);
    await push('1.0.0');
    await writeFile(join(src, 'w.bin'), v2);
    await push('2.0.0');
    const out = join(dir, 'out');
    await pull('1.0.0', out);
    fake.state.fetchDelayMs = 10;
    fake.state.dropFetchesAfter = fake.state.fetchesServed + 16; // of ~24 batches
    let rebuiltEarly = false;
    const pulling = pull('2.0.0', out);
    const settled = pulling.then(() => true, () => true);
    while (!(await Promise.race([settled, new Promise<false>((r) => setTimeout(() => r(false), 2))]))) {
      const parts = (await readdir(out)).filter((n) => n.endsWith('.steward-part'));
      for (const n of parts) {
        const size = await stat(join(out, n)).then((st) => st.size, () => 0);
        if (size > 0 && fake.state.fetchesServed < fake.state.dropFetchesAfter) rebuiltEarly = true;
      }
    }
    await expect(pulling).rejects.toThrow();
    expect(rebuiltEarly).toBe(true); // the file was being written while later batches were still to come
    expect(await readdir(out)).toEqual(['w.bin']);
    expect((await readFile(join(out, 'w.bin'))).equals(v1)).toBe(true);
    fake.state.dropFetchesAfter = undefined;
    await pull('2.0.0', out);
    expect((await readFile(join(out, 'w.bin'))).equals(v2)).toBe(true);
  }, 30_000);

  it('a pull SIGKILLed mid-way leaves a cache the next pull trusts: it fetches only what no finished segment holds', async () => {
    const bytes = randomBytes(6144 * KiB);
    await writeFile(join(src, 'w.bin'), bytes);
    await push('1.0.0');
    await planPull(client, { model: 'llm', ref: '1.0.0', outDir: join(dir, 'out'), home: join(dir, 'home'), cacheDir: join(dir, 'cache') }); // pins the key
    fake.state.fetchDelayMs = 30;
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../testing/pull-child.ts', import.meta.url))], {
      env: { ...process.env, STEWARD_URL: fake.url, STEWARD_TOKEN: fake.state.token, PULL_MODEL: 'llm', PULL_REF: '1.0.0', PULL_OUT: join(dir, 'out'), PULL_HOME: join(dir, 'home'), PULL_CACHE: join(dir, 'cache'), PULL_BATCH_BYTES: String(256 * KiB) },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (fake.state.fetchesServed < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, Math.random() * 30)); // anywhere in the next answer: waiting, reading or writing
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    fake.state.fetchDelayMs = 0;
    await new Promise((r) => setTimeout(r, 100)); // the killed pull's last request is still answered (and counted) by the fake
    expect((await readdir(join(dir, 'out'))).filter((n) => n.endsWith('.steward-part'))).toHaveLength(1); // the file was being rebuilt beside the fetch
    const kept = await new ChunkCache(join(dir, 'cache')).hasMany([...fake.state.chunks.keys()]);
    expect(kept.size).toBeGreaterThan(0);
    const before = fake.state.fetchedBytes;
    const res = await pull('1.0.0');
    expect(res.chunksCached).toBe(kept.size);
    expect(fake.state.fetchedBytes - before).toBe(bytes.length - [...kept].reduce((n, id) => n + fake.state.chunks.get(id)!.length, 0));
    expect((await readFile(join(dir, 'out', 'w.bin'))).equals(bytes)).toBe(true);
    expect(await readdir(join(dir, 'out'))).toEqual(['w.bin']); // and the killed pull's temp file went
  }, 30_000);

  it('a cached chunk damaged on disk fails the rebuilt file, which drops its segment, fetches that again, and only it', async () => {
    const { v1 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    await push('1.0.0');
    await pull('1.0.0');
    const cache = new ChunkCache(join(dir, 'cache'));
    const recipe = await client.chunks.recipe(createHash('sha256').update(v1).digest('hex'));
    const bad = [0, 1, 20, recipe.chunks.length - 1].map((i) => recipe.chunks[i]!); // inside and past the first read-ahead window
    const segs = new Set<string>();
    for (const c of bad) {
      const at = (await cache.locate(c.id))!;
      segs.add(at.seg);
      await flipByte(join(cache.segmentDir, at.seg), at.offset + 7); // same size: only a hash can tell
    }
    const inBadSegs = new Map<string, number>();
    for (const c of recipe.chunks) if (segs.has((await cache.locate(c.id))!.seg)) inBadSegs.set(c.id, c.size);
    expect(inBadSegs.size).toBeLessThan(recipe.chunks.length / 2); // several segments: "only" means something
    const before = fake.state.fetchedBytes;
    const res = await pull('1.0.0', join(dir, 'again'));
    expect(res.chunksFetched).toBe(0); // the plan saw every chunk cached...
    expect(fake.state.fetchedBytes - before).toBe([...inBadSegs.values()].reduce((n, b) => n + b, 0)); // ...the rebuild fetched the damaged segments' chunks
    expect((await readFile(join(dir, 'again', 'w.bin'))).equals(v1)).toBe(true);
    for (const seg of segs) await expect(readFile(join(cache.segmentDir, seg))).rejects.toThrow(/ENOENT/);
  });

  it('a segment cut short (its footer gone) is dropped when the cache loads, and its chunks are fetched in the plan', async () => {
    const { v1 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    await push('1.0.0');
    await pull('1.0.0');
    const cache = new ChunkCache(join(dir, 'cache'));
    const first = (await client.chunks.recipe(createHash('sha256').update(v1).digest('hex'))).chunks[0]!;
    const at = (await cache.locate(first.id))!;
    await truncate(join(cache.segmentDir, at.seg), at.offset + at.length);
    const res = await pull('1.0.0', join(dir, 'again'));
    expect(res.chunksFetched).toBeGreaterThan(0);
    expect(res.chunksCached).toBeGreaterThan(0);
    expect((await readFile(join(dir, 'again', 'w.bin'))).equals(v1)).toBe(true);
  });

  it('two processes-worth of concurrent pulls share one cache', async () => {
    const { v1 } = await twoVersions();
    await writeFile(join(src, 'w.bin'), v1);
    await push('1.0.0');
    // Pin the server key first: key-pin.ts names its temp file by pid, so two pins in one process race.
    await planPull(client, { model: 'llm', ref: '1.0.0', outDir: join(dir, 'a'), home: join(dir, 'home'), cacheDir: join(dir, 'cache') });
    const [a, b] = await Promise.all([pull('1.0.0', join(dir, 'a')), pull('1.0.0', join(dir, 'b'))]);
    expect(a.downloaded + b.downloaded).toBe(2);
    expect((await readFile(join(dir, 'a', 'w.bin'))).equals(v1)).toBe(true); // not toEqual: a deep diff of MiBs takes a minute
    expect((await readFile(join(dir, 'b', 'w.bin'))).equals(v1)).toBe(true); // not toEqual: a deep diff of MiBs takes a minute
  });
});
