import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { blobKey } from '../blobs/blobs.service.ts';
import { packKey } from './pack-key.ts';
import { edited, frames, getBytes, parseFetched, rejected, sha } from './storage-test-helpers.ts';

describeEachDb('chunked storage', (db) => {
  let h: Harness;
  beforeAll(async () => {
    process.env.STEWARD_PACK_SIZE = String(512 * 1024); // several packs per test file
    h = await startHarness(db.url);
    delete process.env.STEWARD_PACK_SIZE;
  });
  afterAll(async () => {
    await h?.close();
  });

  const base = randomBytes(3 * 1024 * 1024);

  it('stores a blob as a recipe, serves it whole and by any Range, and dedups a near-copy', async () => {
    await h.call('POST', 'models', { json: { name: 'llm' } });
    expect((await h.push('llm', '1.0.0', { 'w.bin': base })).status).toBe(201);
    const recipe = await h.call('GET', `blobs/${sha(base)}/recipe`);
    expect(recipe.data.size).toBe(base.length);
    expect(recipe.data.chunks.length).toBeGreaterThan(base.length / (256 * 1024));
    expect(recipe.data.chunks.reduce((s: number, c: { size: number }) => s + c.size, 0)).toBe(base.length);
    const whole = await getBytes(h, 'models/llm/versions/1.0.0/files/w.bin');
    expect(whole.bytes.equals(base)).toBe(true);
    // Ranges inside one chunk, across boundaries, at both ends.
    const bounds = [[0, 0], [5, 70_000], [65_000, 1_000_000], [base.length - 10, base.length - 1], [123_456, 2_345_678]] as const;
    for (const [s, e] of bounds) {
      const r = await getBytes(h, `blobs/${sha(base)}`, { range: `bytes=${s}-${e}` });
      expect(r.status).toBe(206);
      expect(r.bytes.equals(base.subarray(s, e + 1))).toBe(true);
    }
    const before = (await h.call('GET', 'storage/stats')).data;
    const tuned = edited(base, 5, 7);
    expect((await h.push('llm', '1.0.1', { 'w.bin': tuned })).status).toBe(201);
    const after = (await h.call('GET', 'storage/stats')).data;
    // Five 100-byte edits touch at most ~10 chunks of ~64 KiB (two per edit near a boundary).
    expect(after.storedBytes - before.storedBytes).toBeLessThan(12 * 256 * 1024);
    expect(after.storedBytes - before.storedBytes).toBeGreaterThan(0);
    expect((await getBytes(h, 'models/llm/versions/1.0.1/files/w.bin')).bytes.equals(tuned)).toBe(true);
    const model = (await h.call('GET', 'storage/stats?model=llm')).data;
    expect(model.logicalBytes).toBe(2 * base.length);
    expect(model.blobs).toBe(2);
    expect(model.dedupRatio).toBeGreaterThan(1.5);
    expect(after.packs).toBeGreaterThan(4); // 512 KiB packs roll over
  });

  it('negotiates chunks: missing, upload, recipe, fetch', async () => {
    const a = randomBytes(40_000);
    const b = randomBytes(30_000);
    const z = Buffer.alloc(50_000, 7); // compressible
    const ids = [sha(a), sha(b), sha(z)];
    expect((await h.call('POST', 'chunks/missing', { json: { ids: [ids[0], ids[1], ids[0]] } })).data.missing).toEqual([ids[0], ids[1], ids[0]]);
    const up = await h.call('POST', 'chunks', { body: frames([a, z, a]), headers: { 'content-type': 'application/octet-stream' } });
    expect(up.data).toEqual({ stored: 2, skipped: 1, bytes: 90_000 });
    expect((await h.call('POST', 'chunks/missing', { json: { ids } })).data.missing).toEqual([ids[1]]);
    const file = Buffer.concat([a, b, z, a]);
    const order = [ids[0], ids[1], ids[2], ids[0]];
    const early = await h.call('PUT', `blobs/${sha(file)}/recipe`, { json: { size: file.length, chunks: order } });
    expect(early.status).toBe(409);
    expect(early.data.error.details.missing).toEqual([ids[1]]);
    await h.call('POST', 'chunks', { body: frames([b]) });
    const wrongSize = await h.call('PUT', `blobs/${sha(file)}/recipe`, { json: { size: file.length + 1, chunks: order } });
    expect([wrongSize.status, wrongSize.data.error.code]).toEqual([422, 'digest_mismatch']);
    const wrongOrder = await h.call('PUT', `blobs/${sha(file)}/recipe`, { json: { size: file.length, chunks: [ids[1], ids[0], ids[2], ids[0]] } });
    expect([wrongOrder.status, wrongOrder.data.error.code]).toEqual([422, 'digest_mismatch']);
    expect((await h.call('HEAD', `blobs/${sha(file)}`)).status).toBe(404);
    const ok = await h.call('PUT', `blobs/${sha(file)}/recipe`, { json: { size: file.length, chunks: order } });
    expect([ok.status, ok.data.created]).toEqual([201, true]);
    expect((await h.call('PUT', `blobs/${sha(file)}/recipe`, { json: { size: file.length, chunks: order } })).status).toBe(200);
    expect((await getBytes(h, `blobs/${sha(file)}`)).bytes.equals(file)).toBe(true);
    expect((await h.call('GET', `blobs/${sha(file)}/recipe`)).data.chunks).toEqual(order.map((id, i) => ({ id, size: [a, b, z, a][i]!.length })));
    // The same bytes PUT whole are the same blob.
    expect((await h.call('PUT', `blobs/${sha(file)}`, { body: file, headers: { 'content-length': String(file.length) } })).data.created).toBe(false);

    const fetched = await h.app.request('/api/v1/chunks/fetch', { method: 'POST', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [ids[2], ids[0], ids[2]] }) });
    const got = parseFetched(Buffer.from(await fetched.arrayBuffer()));
    expect(got.map((g) => g.id)).toEqual([ids[2], ids[0], ids[2]]);
    expect(got[0]!.bytes.equals(z) && got[1]!.bytes.equals(a)).toBe(true);
    const unknown = sha(randomBytes(8));
    const nf = await h.call('POST', 'chunks/fetch', { json: { ids: [ids[0], unknown] } });
    expect([nf.status, nf.data.error.code, nf.data.error.details.missing]).toEqual([404, 'chunk_not_found', [unknown]]);
  });

  it('refuses bad batches whole, stores nothing, and counts each reason', async () => {
    const good = randomBytes(20_000);
    const bad = Buffer.from(frames([randomBytes(1000)]));
    bad[50] = bad[50]! ^ 1;
    // Without `disk`: free space moves with everything else on the machine.
    const stats = async () => ({ ...(await h.call('GET', 'storage/stats')).data, disk: undefined });
    const statsBefore = await stats();
    const mismatch = await h.call('POST', 'chunks', { body: new Uint8Array(Buffer.concat([frames([good]), bad])) });
    expect([mismatch.status, mismatch.data.error.code]).toEqual([422, 'chunk_digest_mismatch']);
    const whole = frames([good]);
    const trunc = await h.call('POST', 'chunks', { body: whole.subarray(0, whole.length - 1) });
    expect([trunc.status, trunc.data.error.code]).toEqual([400, 'truncated_batch']);
    const big = await h.call('POST', 'chunks', { body: frames([randomBytes(256 * 1024 + 1)]) });
    expect([big.status, big.data.error.code]).toEqual([400, 'chunk_too_large']);
    const badBlob = randomBytes(100_000);
    const wrong = await h.call('PUT', `blobs/${sha(randomBytes(4))}`, { body: badBlob, headers: { 'content-length': String(badBlob.length) } });
    expect([wrong.status, wrong.data.error.code]).toEqual([422, 'digest_mismatch']);
    expect((await h.call('POST', 'chunks/missing', { json: { ids: [sha(good)] } })).data.missing).toEqual([sha(good)]);
    const statsAfter = (await h.call('GET', 'storage/stats')).data;
    expect(statsAfter.blobs).toBe(statsBefore.blobs);
    expect(await rejected(h, 'chunk_digest_mismatch')).toBe(1);
    expect(await rejected(h, 'truncated_batch')).toBe(1);
    expect(await rejected(h, 'chunk_too_large')).toBe(1);
    expect(await rejected(h, 'digest_mismatch')).toBeGreaterThanOrEqual(1);
    const badIds = await h.call('POST', 'chunks/missing', { json: { ids: ['XYZ'] } });
    expect(badIds.status).toBe(400);
    expect(await rejected(h, 'validation_failed')).toBeGreaterThanOrEqual(1);
  });

  it('collects garbage after the grace period, repacks, and fsck finds corruption', async () => {
    // Garbage: chunks of a failed upload (digest mismatch after the packs were written) and an unreferenced blob.
    const junk = randomBytes(1024 * 1024);
    await h.call('PUT', `blobs/${sha(randomBytes(4))}`, { body: junk, headers: { 'content-length': String(junk.length) } });
    // A pack that stays partly live: one batch, one chunk used by a committed version, one not.
    const keep = randomBytes(120_000);
    const drop = randomBytes(100_000);
    await h.call('POST', 'chunks', { body: frames([keep, drop]) });
    await h.call('PUT', `blobs/${sha(keep)}/recipe`, { json: { size: keep.length, chunks: [sha(keep)] } });
    const draft = await h.call('POST', 'models/llm/drafts', { json: { version: '1.0.2' } });
    await h.call('PUT', `models/llm/drafts/${draft.data.id}/files`, { json: { files: [{ path: 'k.bin', sha256: sha(keep), size: keep.length }] } });
    expect((await h.call('POST', `models/llm/drafts/${draft.data.id}/commit`)).status).toBe(201);
    const lone = randomBytes(300_000);
    await h.call('PUT', `blobs/${sha(lone)}`, { body: lone, headers: { 'content-length': String(lone.length) } });
    const young = (await h.call('POST', 'storage/gc', { json: {} })).data;
    expect(young).toEqual({ deletedChunks: 0, deletedBlobs: 0, repackedPacks: 0, mergedPacks: 0, deletedPacks: 0, freedBytes: 0 });
    await new Promise((r) => setTimeout(r, 30));
    const dry = (await h.call('POST', 'storage/gc', { json: { graceSeconds: 0, dryRun: true } })).data;
    expect(dry.deletedBlobs).toBeGreaterThanOrEqual(1);
    // Without `disk`: free space moves with everything else on the machine.
    const stats = async () => ({ ...(await h.call('GET', 'storage/stats')).data, disk: undefined });
    const statsBefore = await stats();
    expect(await stats()).toEqual(statsBefore); // dry run changed nothing
    const gc = (await h.call('POST', 'storage/gc', { json: { graceSeconds: 0 } })).data;
    expect(gc.deletedBlobs).toBe(dry.deletedBlobs);
    expect(gc.deletedChunks).toBe(dry.deletedChunks);
    expect(gc.deletedChunks).toBeGreaterThan(10);
    expect(gc.freedBytes).toBeGreaterThan(512 * 1024);
    expect(gc.freedBytes).toBe(dry.freedBytes);
    expect(gc.deletedPacks).toBe(dry.deletedPacks);
    expect((await h.call('HEAD', `blobs/${sha(lone)}`)).status).toBe(404);
    const statsAfter = (await h.call('GET', 'storage/stats')).data;
    expect(statsBefore.storedBytes - statsAfter.storedBytes).toBe(gc.freedBytes);
    const fsck = (await h.call('POST', 'storage/fsck')).data;
    expect(fsck.problems).toEqual([]);
    expect(fsck.ok).toBe(true);
    expect(fsck.checked.versions).toBe(3);
    for (const v of ['1.0.0', '1.0.1']) expect((await getBytes(h, `models/llm/versions/${v}/files/w.bin`)).bytes.length).toBe(base.length);
    expect((await getBytes(h, 'models/llm/versions/1.0.0/files/w.bin')).bytes.equals(base)).toBe(true);

    // The half-live pack (55% live) survives the default threshold and is rewritten under a higher one.
    const repack = (await h.call('POST', 'storage/gc', { json: { graceSeconds: 0, repackBelow: 0.9 } })).data;
    expect(repack.repackedPacks).toBe(1);
    expect(repack.freedBytes).toBe(drop.length);
    expect((await getBytes(h, 'models/llm/versions/1.0.2/files/k.bin')).bytes.equals(keep)).toBe(true);
    expect((await h.call('POST', 'storage/fsck')).data.ok).toBe(true);
    expect((await getBytes(h, 'models/llm/versions/1.0.1/files/w.bin')).bytes.equals(edited(base, 5, 7))).toBe(true);

    // Corrupt one byte of one pack: fsck reports it and is not ok.
    const pack = (await h.db.kysely.selectFrom('packs' as never).select('id' as never).limit(1).executeTakeFirstOrThrow()) as { id: string };
    const chunks: Buffer[] = [];
    for await (const c of await h.objects.get(packKey(pack.id))) chunks.push(Buffer.from(c as Uint8Array));
    const body = Buffer.concat(chunks);
    body[10] = body[10]! ^ 0xff;
    await h.objects.put(packKey(pack.id), body);
    const broken = (await h.call('POST', 'storage/fsck')).data;
    expect(broken.ok).toBe(false);
    expect(broken.problems.map((p: { kind: string }) => p.kind)).toContain('chunk_corrupt');
  });

  it('serves files of repeated chunks (zero pages) and pre-chunking whole-object blobs', async () => {
    const zeros = Buffer.concat([Buffer.alloc(2 * 1024 * 1024), randomBytes(1000)]);
    await h.call('PUT', `blobs/${sha(zeros)}`, { body: zeros, headers: { 'content-length': String(zeros.length) } });
    const recipe = (await h.call('GET', `blobs/${sha(zeros)}/recipe`)).data;
    expect(new Set(recipe.chunks.map((c: { id: string }) => c.id)).size).toBeLessThan(4); // 8 x 256 KiB zeros, one id
    expect((await getBytes(h, `blobs/${sha(zeros)}`)).bytes.equals(zeros)).toBe(true);
    expect((await getBytes(h, `blobs/${sha(zeros)}`, { range: 'bytes=300000-2097999' })).bytes.equals(zeros.subarray(300_000, 2_098_000))).toBe(true);
    // A blob stored before migration 0006: a row and a whole object, no recipe.
    const legacy = randomBytes(5000);
    const key = blobKey(sha(legacy));
    await h.objects.put(key, legacy);
    await (h.db.kysely as any).insertInto('blobs').values({ sha256: sha(legacy), size: legacy.length, created_at: new Date(0).toISOString() }).execute();
    expect((await getBytes(h, `blobs/${sha(legacy)}`, { range: 'bytes=10-19' })).bytes.equals(legacy.subarray(10, 20))).toBe(true);
    expect((await h.call('GET', `blobs/${sha(legacy)}/recipe`)).data.error.code).toBe('recipe_not_found');
    const fsck = (await h.call('POST', 'storage/fsck')).data; // (a pack was corrupted on purpose above)
    expect(fsck.problems.filter((p: { id: string }) => p.id === sha(legacy) || p.id === sha(zeros))).toEqual([]);
    await h.call('POST', 'storage/gc', { json: { graceSeconds: 0 } });
    expect(await h.objects.has(key)).toBe(false);
  });

  it('needs admin for gc and fsck', async () => {
    const viewer = (await h.call('POST', 'tokens', { json: { name: 'v', role: 'viewer' } })).data.token;
    expect((await h.call('POST', 'storage/gc', { json: {}, token: viewer })).status).toBe(403);
    expect((await h.call('POST', 'storage/fsck', { token: viewer })).status).toBe(403);
    expect((await h.call('GET', 'storage/stats', { token: viewer })).status).toBe(200);
  });
});
