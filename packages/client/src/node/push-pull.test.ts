import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StewardClient } from '../client.ts';
import { startFakeServer } from '../testing/fake-server.ts';
import { pullVersion } from './pull.ts';
import { pushVersion } from './push.ts';
import { verifyDir } from './verify-dir.ts';

let fake: Awaited<ReturnType<typeof startFakeServer>>;
let client: StewardClient;
let dir: string;
let home: string;
beforeEach(async () => {
  fake = await startFakeServer();
  client = new StewardClient({ url: fake.url, token: fake.state.token });
  await client.models.create({ name: 'fraud' });
  dir = await mkdtemp(join(tmpdir(), 'steward-push-'));
  home = join(dir, 'home');
  await mkdir(join(dir, 'src', 'tokenizer'), { recursive: true });
  await writeFile(join(dir, 'src', 'model.onnx'), Buffer.alloc(300_000, 7));
  await writeFile(join(dir, 'src', 'tokenizer', 'vocab.json'), '{"a":1}');
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const push = (version: string) =>
  pushVersion(client, { model: 'fraud', version, paths: ['model.onnx', 'tokenizer'], cwd: join(dir, 'src'), metadata: { metrics: { f1: 0.9 } } });

describe('pushVersion / pullVersion', () => {
  it('pushes, then uploads only missing blobs on the next push', async () => {
    const progress: number[] = [];
    const first = await pushVersion(client, {
      model: 'fraud', version: '1.0.0', paths: ['model.onnx', 'tokenizer'], cwd: join(dir, 'src'),
      onProgress: (p) => p.phase === 'upload' && progress.push(p.bytes),
    });
    expect(first.version.files.map((f) => f.path)).toEqual(['model.onnx', 'tokenizer/vocab.json']);
    expect(first).toMatchObject({ uploaded: 2, skipped: 0, uploadedBytes: 300_007 });
    expect(progress.at(-1)).toBe(300_007);
    await writeFile(join(dir, 'src', 'tokenizer', 'vocab.json'), '{"a":2}');
    const second = await push('1.1.0');
    expect(second).toMatchObject({ uploaded: 1, skipped: 1 });
    expect(fake.state.log.filter((l) => l.startsWith('PUT /blobs')).length).toBe(3);
  });

  it('deletes the draft when a step fails', async () => {
    await push('1.0.0');
    // A fetch that lets everything through except commit, which the "server" refuses.
    client = new StewardClient({
      url: fake.url,
      token: fake.state.token,
      fetch: (url, init) =>
        url.endsWith('/commit')
          ? Promise.resolve(Response.json({ error: { code: 'gate_failed', message: 'boom' } }, { status: 422 }))
          : fetch(url, init),
    });
    await expect(push('1.1.0')).rejects.toMatchObject({ code: 'gate_failed', message: 'boom' });
    expect(fake.state.drafts.size).toBe(0);
    expect(fake.state.log.some((l) => l.startsWith('DELETE /models/fraud/drafts/'))).toBe(true);
  });

  it('pulls a verified version and verifyDir agrees; tampering is reported', async () => {
    await push('1.0.0');
    const out = join(dir, 'out');
    const res = await pullVersion(client, { model: 'fraud', ref: 'latest', outDir: out, home });
    expect(res).toMatchObject({ downloaded: 2, skipped: 0 });
    expect((await readFile(join(out, 'tokenizer', 'vocab.json'))).toString()).toBe('{"a":1}');
    expect((await readdir(out)).sort()).toEqual(['model.onnx', 'tokenizer']); // no temp files left
    expect((await verifyDir(res.version, out)).ok).toBe(true);

    const again = await pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, home });
    expect(again).toMatchObject({ downloaded: 0, skipped: 2 });

    await writeFile(join(out, 'tokenizer', 'vocab.json'), 'changed');
    await writeFile(join(out, 'extra.txt'), 'x');
    await rm(join(out, 'model.onnx'));
    const report = await verifyDir(res.version, out);
    expect(report).toMatchObject({ ok: false, missing: ['model.onnx'], extra: ['extra.txt'] });
    expect(report.mismatched.map((m) => m.path)).toEqual(['tokenizer/vocab.json']);
  });

  it('refuses a manifest altered after signing', async () => {
    const { version } = await push('1.0.0');
    const stored = fake.state.versions.get('fraud@1.0.0');
    if (!stored) throw new Error('not stored');
    stored.manifest = { ...stored.manifest, files: [...stored.manifest.files].reverse() };
    await expect(pullVersion(client, { model: 'fraud', ref: version.version, outDir: join(dir, 'o'), home })).rejects.toMatchObject({ code: 'signature_invalid' });
    // Without verification the (unsigned) file list is used and the pull goes through.
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: join(dir, 'o'), verify: false, home })).resolves.toBeTruthy();
  });

  it('pins the key on first use and refuses a different key later', async () => {
    await push('1.0.0');
    await pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: join(dir, 'a'), home });
    const pins = JSON.parse(await readFile(join(home, 'known-keys.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(pins)).toEqual([fake.url]);
    const other = generateKeyPairSync('ed25519');
    fake.state.publicKeyPem = other.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: join(dir, 'b'), home })).rejects.toMatchObject({ code: 'key_changed' });
  });

  it('refuses bytes that do not match the manifest and leaves no file behind', async () => {
    const { version } = await push('1.0.0');
    const vocab = version.files.find((f) => f.path === 'tokenizer/vocab.json');
    // A chunk whose bytes do not hash to its id is refused before it reaches the cache.
    const [chunkId] = fake.state.recipes.get(vocab?.sha256 ?? '')?.chunks ?? [];
    fake.state.chunks.set(chunkId ?? '', Buffer.from('{"a":9}'));
    const out = join(dir, 'bad');
    const cacheDir = join(dir, 'cache');
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, home, cacheDir })).rejects.toMatchObject({ code: 'digest_mismatch' });
    await expect(readdir(out)).rejects.toThrow(); // nothing written: the bad chunk stopped the pull before any file
    // A recipe naming other (valid) chunks is caught when the rebuilt file is hashed.
    const model = fake.state.recipes.get(version.files[0]!.sha256)!;
    fake.state.recipes.set(vocab?.sha256 ?? '', { size: 7, chunks: [model.chunks[0]!] });
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, home, cacheDir })).rejects.toMatchObject({ code: 'digest_mismatch' });
    await expect(readdir(out)).rejects.toThrow(/ENOENT/); // model.onnx was good, but files go into place only all together
  });

  it('falls back to whole blobs on a server without the chunk API, and still refuses bad bytes', async () => {
    await fake.close();
    fake = await startFakeServer({ chunks: false });
    client = new StewardClient({ url: fake.url, token: fake.state.token });
    await client.models.create({ name: 'fraud' });
    const { version, chunks } = await push('1.0.0');
    expect(chunks).toBeUndefined();
    expect(fake.state.chunks.size).toBe(0);
    const out = join(dir, 'whole');
    expect(await pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, home, cacheDir: join(dir, 'c') })).toMatchObject({ downloaded: 2, chunksFetched: 0 });
    const vocab = version.files.find((f) => f.path === 'tokenizer/vocab.json');
    fake.state.blobs.set(vocab?.sha256 ?? '', Buffer.from('{"a":9}'));
    await rm(out, { recursive: true });
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, home })).rejects.toMatchObject({ code: 'digest_mismatch' });
    await expect(readdir(out)).rejects.toThrow(/ENOENT/); // nor the good model.onnx, nor the directories made for them
  });

  it('refuses manifest paths escaping the output directory before writing anything', async () => {
    await push('1.0.0');
    const stored = fake.state.versions.get('fraud@1.0.0');
    if (!stored) throw new Error('not stored');
    stored.files = [...stored.files, { path: '../evil', sha256: stored.files[0]?.sha256 ?? '', size: 1 }];
    const out = join(dir, 'esc');
    await expect(pullVersion(client, { model: 'fraud', ref: '1.0.0', outDir: out, verify: false, home })).rejects.toMatchObject({ code: 'unsafe_path' });
    await expect(readdir(out)).rejects.toThrow();
  });
});
