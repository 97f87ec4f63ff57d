import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { fileOfChunks, getBytes, sha, uploadChunks } from '../storage/storage-test-helpers.ts';
import { MAX_WAITING_CHECKS } from './recipe-check.ts';

const KiB = 1024;

describeEachDb('open recipe checks (ids sent while the file is chunked, digest declared at the end)', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db.url, { storage: { recipeIdleMs: 1500 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const file = fileOfChunks;
  const upload = (chunks: Buffer[]) => uploadChunks(h, chunks);
  const open = async (ids: string[]) => {
    const res = await h.call('POST', 'recipe-checks', { json: { chunks: ids } });
    expect(res.status).toBe(201);
    return res.data.id as string;
  };
  const append = (id: string, ids: string[]) => h.call('POST', `recipe-checks/${id}/ids`, { json: { chunks: ids } });
  const declare = (id: string, body: { sha256: string; size: number }, wait = 10) => h.call('PUT', `recipe-checks/${id}?wait=${wait}`, { json: body });
  const stored = async (sha256: string) => (await h.call('HEAD', `blobs/${sha256}`)).status === 200;

  it('hashes the stored chunks as their ids come, before the digest is known, then commits the blob once declared', async () => {
    const f = file(600);
    await upload(f.chunks.slice(0, 400));
    const id = await open(f.ids.slice(0, 300));
    // The first window (256 ids) is stored: it is hashed with no digest declared yet.
    let progress = await append(id, f.ids.slice(300, 500));
    for (let i = 0; i < 200 && progress.data.hashedBytes < 256 * KiB; i++) {
      await new Promise((r) => setTimeout(r, 10));
      progress = await append(id, []);
    }
    expect(progress.status).toBe(200);
    expect(progress.data).toEqual({ chunks: 500, hashedBytes: 256 * KiB });
    await append(id, f.ids.slice(500));
    const [res] = await Promise.all([declare(id, { sha256: f.sha256, size: f.bytes.length }), upload(f.chunks.slice(400))]);
    expect([res.status, res.data]).toEqual([201, { sha256: f.sha256, size: f.bytes.length, created: true }]);
    expect((await getBytes(h, `blobs/${f.sha256}`)).bytes.equals(f.bytes)).toBe(true);
    // Asking again (a client whose answer was lost) gets the outcome.
    const again = await declare(id, { sha256: f.sha256, size: f.bytes.length });
    expect([again.status, again.data.created]).toEqual([201, true]);
  });

  it('answers 202 pending while chunks are missing, and the same declaration waits on', async () => {
    const f = file(20);
    await upload(f.chunks.slice(0, 10));
    const id = await open(f.ids);
    const pending = await declare(id, { sha256: f.sha256, size: f.bytes.length }, 1);
    expect([pending.status, pending.data.pending]).toEqual([202, true]);
    const [done] = await Promise.all([declare(id, { sha256: f.sha256, size: f.bytes.length }), upload(f.chunks.slice(10))]);
    expect([done.status, done.data.created]).toEqual([201, true]);
  });

  it('rejects chunks that do not hash to the declared digest or size, with nothing stored', async () => {
    const f = file(10);
    await upload(f.chunks);
    const swapped = await open([f.ids[1]!, f.ids[0]!, ...f.ids.slice(2)]);
    const wrongOrder = await declare(swapped, { sha256: f.sha256, size: f.bytes.length });
    expect([wrongOrder.status, wrongOrder.data.error.code]).toEqual([422, 'digest_mismatch']);
    const short = await declare(await open(f.ids), { sha256: f.sha256, size: f.bytes.length - 1 });
    expect([short.status, short.data.error.code]).toEqual([422, 'digest_mismatch']);
    expect(await stored(f.sha256)).toBe(false);
  });

  it('takes no ids after its end, nor a second, different end; unknown or malformed ids and oversized requests are refused', async () => {
    const f = file(5);
    const id = await open(f.ids);
    const pending = await declare(id, { sha256: f.sha256, size: f.bytes.length }, 0);
    expect(pending.status).toBe(202);
    const late = await append(id, [f.ids[0]!]);
    expect([late.status, late.data.error.code]).toEqual([409, 'recipe_check_declared']);
    const other = await declare(id, { sha256: sha(Buffer.from('x')), size: 1 }, 0);
    expect([other.status, other.data.error.code]).toEqual([409, 'recipe_check_declared']);
    const unknown = await append('7d444840-9dc0-11d1-b245-5ffdce74fad2', [f.ids[0]!]);
    expect([unknown.status, unknown.data.error.code]).toEqual([404, 'recipe_check_not_found']);
    expect((await append('not-an-id', [])).status).toBe(400);
    expect((await h.call('POST', 'recipe-checks', { json: { chunks: ['abc'] } })).status).toBe(400);
    const tooMany = Array.from({ length: 10_001 }, (_, i) => sha(Buffer.from(String(i))));
    expect((await h.call('POST', 'recipe-checks', { json: { chunks: tooMany } })).status).toBe(400);
    await upload(f.chunks);
    expect((await declare(id, { sha256: f.sha256, size: f.bytes.length })).status).toBe(201);
  });

  it('expires with 409 recipe_check_expired when neither ids nor its end come for the idle time', async () => {
    const f = file(4);
    await upload(f.chunks);
    const id = await open(f.ids.slice(0, 2));
    await new Promise((r) => setTimeout(r, 2_000)); // idle limit 1.5 s here
    const late = await append(id, f.ids.slice(2)); // the push learns it at its next append
    expect([late.status, late.data.error.code]).toEqual([409, 'recipe_check_expired']);
    const res = await declare(id, { sha256: f.sha256, size: f.bytes.length });
    expect([res.status, res.data.error.code]).toEqual([409, 'recipe_check_expired']);
    expect(await stored(f.sha256)).toBe(false);
  });

  it('a blob stored already ends the check at once with created false; a cancelled check commits nothing', async () => {
    const f = file(30);
    await upload(f.chunks);
    expect((await h.call('PUT', `blobs/${f.sha256}/recipe`, { json: { size: f.bytes.length, chunks: f.ids } })).status).toBe(201);
    const again = await open(f.ids.slice(0, 10)); // the rest never comes: the blob is found at the declaration
    const t0 = performance.now();
    const res = await declare(again, { sha256: f.sha256, size: f.bytes.length });
    expect([res.status, res.data.created]).toEqual([200, false]);
    expect(performance.now() - t0).toBeLessThan(1_000);
    const reask = await declare(again, { sha256: f.sha256, size: f.bytes.length }); // its answer lost: asked again
    expect([reask.status, reask.data.created]).toEqual([200, false]);

    const g = file(8);
    await upload(g.chunks);
    const id = await open(g.ids);
    expect((await h.call('DELETE', `recipe-checks/${id}`)).status).toBe(204);
    const after = await declare(id, { sha256: g.sha256, size: g.bytes.length });
    expect([after.status, after.data.error.code]).toEqual([409, 'recipe_check_cancelled']);
    expect(await stored(g.sha256)).toBe(false);
  });

  it(`counts toward the ${MAX_WAITING_CHECKS} checks a server runs at once (503 recipe_checks_busy beyond), and stops with the server`, async () => {
    const ids = await Promise.all(Array.from({ length: MAX_WAITING_CHECKS }, () => open([sha(randomBytes(8))])));
    const busy = await h.call('POST', 'recipe-checks', { json: { chunks: [] } });
    expect([busy.status, busy.data.error.code]).toEqual([503, 'recipe_checks_busy']);
    const waiting = declare(ids[0]!, { sha256: sha(Buffer.from('never')), size: 5 }, 30);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    h.services.blobs.close();
    const res = await waiting;
    expect([res.status, res.data.error.code]).toEqual([503, 'shutting_down']);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
