import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Test-only: a real server process from the server package (the contract's other side).
import { spawnServer } from '../../../server/src/testing/child-server.ts';
import { FRAME_HEADER_BYTES } from '../api/chunk-frames.ts';
import { StewardClient } from '../client.ts';
import { planPull, pullVersion } from './pull.ts';
import { pushVersion } from './push.ts';
import { DigestCache } from './digest-cache.ts';
import { seededBytes } from '@steward/core';

const KiB = 1024;
let server: Awaited<ReturnType<typeof spawnServer>>;
let client: StewardClient;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-delta-real-'));
  server = await spawnServer(join(dir, 'data'));
  client = new StewardClient({ url: server.url, token: server.token });
  await client.models.create({ name: 'llm' });
  await mkdir(join(dir, 'src'));
}, 60_000);
afterAll(async () => {
  await server?.kill();
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('delta push/pull against the real server', () => {
  it('second version sends and fetches only the changed region; whole-file GET still works', async () => {
    // Seeded, not random: how many chunks an edit touches varies with the bytes (random ones went
    // over the bounds below about once in 600 runs).
    const v1 = Buffer.from(seededBytes(3 * 1024 * KiB, 71));
    const v2 = Buffer.from(v1);
    Buffer.from(seededBytes(32 * KiB, 72)).copy(v2, 1500 * KiB);
    const push = (version: string) => pushVersion(client, { model: 'llm', version, paths: ['w.bin'], cwd: join(dir, 'src') });
    await writeFile(join(dir, 'src', 'w.bin'), v1);
    expect((await push('1.0.0')).uploadedBytes).toBe(v1.length);
    await writeFile(join(dir, 'src', 'w.bin'), v2);
    const second = await push('1.1.0');
    expect(second.uploadedBytes).toBeLessThan(800 * KiB);
    expect(second.chunks!.uploaded).toBeGreaterThan(0);

    const opts = (ref: string) => ({ model: 'llm', ref, outDir: join(dir, 'out'), home: join(dir, 'home'), cacheDir: join(dir, 'cache') });
    // Random bytes do not compress: the wire carries the payload plus a 36-byte header per chunk.
    const first = await pullVersion(client, opts('1.0.0'));
    expect(first.transferredBytes).toBe(v1.length + FRAME_HEADER_BYTES * first.chunksFetched);
    const plan = await planPull(client, opts('1.1.0'));
    expect(plan.transferBytes).toBeLessThan(800 * KiB);
    expect(plan.transferBytes).toBeGreaterThan(32 * KiB); // the chunks around the edit, unchanged bytes included
    const res = await pullVersion(client, opts('1.1.0'));
    // The chunks around the edit come zstd-compressed against the old bytes at the same place
    // (cached from 1.0.0): the wire carries about the 32 KiB that changed, not the whole chunks.
    expect(res.transferredBytes).toBeGreaterThan(32 * KiB);
    expect(res.transferredBytes).toBeLessThan(40 * KiB);
    expect(sha(await readFile(join(dir, 'out', 'w.bin')))).toBe(sha(v2));

    // The blob assembled from a recipe is an ordinary blob for whole-file readers.
    const whole = await client.versions.file('llm', '1.1.0', 'w.bin');
    expect(sha(new Uint8Array(await new Response(whole.body).arrayBuffer()))).toBe(sha(v2));
  }, 60_000);

  it('declares the recipe while the upload goes on: one PUT ?wait commits the blob, no re-read after the upload', async () => {
    const seen: { method: string; path: string; status: number }[] = [];
    const recording = new StewardClient({
      url: server.url,
      token: server.token,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        seen.push({ method: init?.method ?? 'GET', path: new URL(input).pathname + new URL(input).search, status: res.status });
        return res;
      },
    });
    const file = randomBytes(6 * 1024 * KiB);
    await writeFile(join(dir, 'src', 'early.bin'), file);
    const res = await pushVersion(recording, { model: 'llm', version: '2.0.0', paths: ['early.bin'], cwd: join(dir, 'src'), upload: { batchBytes: 512 * KiB } });
    expect(res.uploaded).toBe(1);
    const recipePuts = seen.filter((r) => r.method === 'PUT' && r.path.includes('/recipe'));
    expect(recipePuts.length).toBeGreaterThanOrEqual(1);
    expect(recipePuts.every((r) => r.path.endsWith('?wait=30'))).toBe(true);
    expect(recipePuts.at(-1)!.status).toBe(201);
    expect(recipePuts.slice(0, -1).every((r) => r.status === 202)).toBe(true); // only pending answers before it
    expect(seen.filter((r) => r.method === 'HEAD' && r.path.includes('/blobs/')).length).toBe(1); // the early one; no fallback round
    const out = join(dir, 'out-early');
    await pullVersion(client, { model: 'llm', ref: '2.0.0', outDir: out, home: join(dir, 'home'), cacheDir: join(dir, 'cache') });
    expect(sha(await readFile(join(out, 'early.bin')))).toBe(sha(file));
  }, 60_000);

  it('a server that answers the early recipe at once (409, as before ?wait existed) still gets the push, by the usual PUT', async () => {
    const puts: number[] = [];
    const old = new StewardClient({
      url: server.url,
      token: server.token,
      // Drops ?wait, as a server without it ignores the query: the early PUT meets chunks not uploaded yet.
      // Such a server has no POST /blobs/recipes either (404).
      fetch: async (input, init) => {
        const url = new URL(input);
        if (url.pathname.includes('/blobs/recipes')) return Response.json({ error: { code: 'not_found', message: 'no such route' } }, { status: 404 });
        if (url.pathname.endsWith('/recipe')) url.search = '';
        if (url.pathname.endsWith('/chunks')) await new Promise((r) => setTimeout(r, 20)); // the upload outlasts chunking
        const res = await fetch(url.href, init);
        if (url.pathname.endsWith('/recipe')) puts.push(res.status);
        return res;
      },
    });
    const file = randomBytes(4 * 1024 * KiB);
    await writeFile(join(dir, 'src', 'old.bin'), file);
    const res = await pushVersion(old, { model: 'llm', version: '2.1.0', paths: ['old.bin'], cwd: join(dir, 'src'), upload: { batchBytes: 256 * KiB, concurrency: 1 } });
    expect(res.uploaded).toBe(1);
    expect(puts).toEqual([409, 201]); // the early one met missing chunks; the one after the upload committed
    const whole = await client.versions.file('llm', '2.1.0', 'old.bin');
    expect(sha(new Uint8Array(await new Response(whole.body).arrayBuffer()))).toBe(sha(file));
  }, 60_000);

  /** A client recording each request's method, path (with query) and status; `answer` may answer instead of the server. */
  const recorder = (answer?: (url: URL, method: string) => Response | undefined) => {
    const seen: { method: string; path: string; status: number }[] = [];
    const c = new StewardClient({
      url: server.url,
      token: server.token,
      fetch: async (input, init) => {
        const url = new URL(input);
        const method = init?.method ?? 'GET';
        const res = answer?.(url, method) ?? (await fetch(input, init));
        seen.push({ method, path: url.pathname + url.search, status: res.status });
        return res;
      },
    });
    return { c, seen };
  };

  it('a file chunked in segments gets an open recipe check: its ids go up while it is chunked, and its end commits the blob', async () => {
    const { c, seen } = recorder();
    const v1 = Buffer.from(seededBytes(8 * 1024 * KiB, 81));
    await writeFile(join(dir, 'src', 'seg.bin'), v1);
    const push = (version: string) => pushVersion(c, { model: 'llm', version, paths: ['seg.bin'], cwd: join(dir, 'src'), segmentBytes: 1024 * KiB, upload: { batchBytes: 512 * KiB } });
    await push('3.0.0');
    // A fine-tune of it: the open check hashes the stored bulk while the file is chunked.
    const v2 = Buffer.from(v1);
    Buffer.from(seededBytes(16 * KiB, 82)).copy(v2, 7 * 1024 * KiB);
    await writeFile(join(dir, 'src', 'seg.bin'), v2);
    seen.length = 0;
    const res = await push('3.1.0');
    expect(res.uploaded).toBe(1);
    const opened = seen.filter((r) => r.method === 'POST' && r.path.endsWith('/recipe-checks'));
    expect(opened.map((r) => r.status)).toEqual([201]);
    const ends = seen.filter((r) => r.method === 'PUT' && /\/recipe-checks\/[0-9a-f-]+\?wait=30$/.test(r.path));
    expect(ends.at(-1)!.status).toBe(201);
    expect(seen.some((r) => r.path.includes('/blobs/') && r.path.includes('/recipe'))).toBe(false); // no whole-recipe declaration
    const out = join(dir, 'out-seg');
    await pullVersion(client, { model: 'llm', ref: '3.1.0', outDir: out, home: join(dir, 'home'), cacheDir: join(dir, 'cache') });
    expect(sha(await readFile(join(out, 'seg.bin')))).toBe(sha(v2));
  }, 60_000);

  it('two paths with the same content: one open check ends in the blob, the other is cancelled', async () => {
    const { c, seen } = recorder();
    const bytes = randomBytes(4 * 1024 * KiB);
    await mkdir(join(dir, 'src', 'twins'), { recursive: true });
    await writeFile(join(dir, 'src', 'twins', 'a.bin'), bytes);
    await writeFile(join(dir, 'src', 'twins', 'b.bin'), bytes);
    const res = await pushVersion(c, { model: 'llm', version: '3.2.0', paths: ['twins'], cwd: join(dir, 'src'), segmentBytes: 512 * KiB, upload: { batchBytes: 512 * KiB } });
    expect([res.uploaded, res.skipped]).toEqual([1, 0]);
    expect(seen.filter((r) => r.method === 'POST' && r.path.endsWith('/recipe-checks')).length).toBe(2);
    expect(seen.filter((r) => r.method === 'DELETE' && r.path.includes('/recipe-checks/')).map((r) => r.status)).toEqual([204]);
    const whole = await client.versions.file('llm', '3.2.0', 'twins/b.bin');
    expect(sha(new Uint8Array(await new Response(whole.body).arrayBuffer()))).toBe(sha(bytes));
  }, 60_000);

  it('a server without open recipe checks (404) still gets the push, by the usual recipe declaration', async () => {
    const { c, seen } = recorder((url) =>
      url.pathname.includes('/recipe-checks') ? Response.json({ error: { code: 'not_found', message: 'no such route' } }, { status: 404 }) : undefined,
    );
    const bytes = randomBytes(4 * 1024 * KiB);
    await writeFile(join(dir, 'src', 'older.bin'), bytes);
    const res = await pushVersion(c, { model: 'llm', version: '3.3.0', paths: ['older.bin'], cwd: join(dir, 'src'), segmentBytes: 512 * KiB, upload: { batchBytes: 512 * KiB } });
    expect(res.uploaded).toBe(1);
    expect(seen.filter((r) => r.path.includes('/recipe-checks')).map((r) => r.status)).toEqual([404]); // tried once, then left alone
    expect(seen.filter((r) => r.method === 'PUT' && r.path.includes('/recipe')).at(-1)!.status).toBe(201);
    const whole = await client.versions.file('llm', '3.3.0', 'older.bin');
    expect(sha(new Uint8Array(await new Response(whole.body).arrayBuffer()))).toBe(sha(bytes));
  }, 60_000);

  /** A model directory of `n` small files (1–40 KiB) and one of 2 MiB, the way a tokenizer, configs and shards sit together. */
  const manyFiles = async (name: string, n: number) => {
    const root = join(dir, 'src', name);
    await mkdir(root, { recursive: true });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < n; i++) files.set(`f${i}.json`, randomBytes(1024 + ((i * 7919) % (39 * 1024))));
    files.set('weights.bin', randomBytes(2 * 1024 * KiB));
    for (const [p, b] of files) await writeFile(join(root, p), b);
    return { root, files };
  };

  it('a push of many small files declares them in one POST /blobs/recipes, and a pull asks their recipes in one query', async () => {
    const { root, files } = await manyFiles('many', 40);
    const { c, seen } = recorder();
    const res = await pushVersion(c, { model: 'llm', version: '4.0.0', paths: ['.'], cwd: root, digests: null });
    expect(res.uploaded).toBe(41);
    const recipeCalls = seen.filter((r) => r.path.includes('/recipe') || r.method === 'HEAD');
    // The 2 MiB file is declared early (a HEAD, then PUT ?wait); the 40 small ones together, once the upload ended.
    expect(recipeCalls.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/, 'SHA').replace(/\?.*/, '')} ${r.status}`)).toEqual(['HEAD /api/v1/blobs/SHA 404', 'PUT /api/v1/blobs/SHA/recipe 201', 'POST /api/v1/blobs/recipes 201']);
    seen.length = 0;
    const out = join(dir, 'many-out');
    const pulled = await pullVersion(c, { model: 'llm', ref: '4.0.0', outDir: out, cacheDir: join(dir, 'many-cache'), verify: false });
    expect(pulled.downloaded).toBe(41);
    expect(seen.filter((r) => r.path.includes('/recipe')).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/, 'SHA')}`)).toEqual(['POST /api/v1/blobs/recipes/query']);
    for (const [p, b] of files) expect((await readFile(join(out, p))).equals(b)).toBe(true);

    // With a digest cache, a push after an edit of one file reads only that file, and asks about
    // the blobs of the rest in one POST /blobs/missing, not a HEAD each.
    const digests = await DigestCache.open(join(dir, 'many-digests.json'), { racyMs: 0 });
    await pushVersion(c, { model: 'llm', version: '4.0.1', paths: ['.'], cwd: root, digests });
    await writeFile(join(root, 'f3.json'), randomBytes(100));
    seen.length = 0;
    const again = await pushVersion(c, { model: 'llm', version: '4.0.2', paths: ['.'], cwd: root, digests });
    expect(again).toMatchObject({ unchanged: 40, uploaded: 1 });
    expect(seen.filter((r) => r.method === 'HEAD' || r.path.includes('/blobs/')).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/v1/blobs/missing', 'POST /api/v1/blobs/recipes']);
  }, 60_000);

  it('a server without the batch recipe calls (404) still gets the push and the pull, a file at a time', async () => {
    const { root, files } = await manyFiles('many-old', 12);
    const { c, seen } = recorder((url) => (url.pathname.includes('/blobs/recipes') ? Response.json({ error: { code: 'not_found', message: 'no such route' } }, { status: 404 }) : undefined));
    expect((await pushVersion(c, { model: 'llm', version: '4.1.0', paths: ['.'], cwd: root, digests: null })).uploaded).toBe(13);
    expect(seen.filter((r) => r.path.includes('/blobs/recipes')).map((r) => r.status)).toEqual([404]); // tried once, then a PUT per file
    expect(seen.filter((r) => r.method === 'PUT' && r.path.replace(/\?.*/, '').endsWith('/recipe')).length).toBe(13);
    seen.length = 0;
    const out = join(dir, 'many-old-out');
    await pullVersion(c, { model: 'llm', ref: '4.1.0', outDir: out, cacheDir: join(dir, 'many-old-cache'), verify: false });
    expect(seen.filter((r) => r.path.includes('/blobs/recipes')).map((r) => r.status)).toEqual([404]);
    expect(seen.filter((r) => r.method === 'GET' && r.path.endsWith('/recipe')).length).toBe(13);
    for (const [p, b] of files) expect((await readFile(join(out, p))).equals(b)).toBe(true);
  }, 60_000);

  it('a model that does not exist, or a version number taken already, fails before any byte is read or sent', async () => {
    const { c, seen } = recorder();
    await writeFile(join(dir, 'src', 'late.bin'), randomBytes(2 * 1024 * KiB));
    const push = (model: string, version: string) => pushVersion(c, { model, version, paths: ['late.bin'], cwd: join(dir, 'src') });
    await expect(push('no-such-model', '1.0.0')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(push('llm', '1.0.0')).rejects.toMatchObject({ status: 409, code: 'version_exists' });
    expect(seen.filter((r) => r.path.includes('/chunks') || r.path.includes('/blobs') || r.path.includes('/recipe-checks'))).toEqual([]);
  }, 60_000);
});
