import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../app.ts';
import { openDb } from '../../db/connect.ts';
import { apiCaller, startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { fileOfChunks, getBytes, sha, uploadChunks } from '../storage/storage-test-helpers.ts';
import { MAX_WAITING_CHECKS } from './recipe-check.ts';

const KiB = 1024;

describeEachDb('recipe declared while its chunks upload (?wait)', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db.url, { storage: { recipeIdleMs: 1500 } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const fileOf = fileOfChunks;
  const upload = (chunks: Buffer[]) => uploadChunks(h, chunks);
  const putRecipe = (f: ReturnType<typeof fileOf>, query = '', ids = f.ids) => h.call('PUT', `blobs/${sha(f.bytes)}/recipe${query}`, { json: { size: f.bytes.length, chunks: ids } });

  it('hashes the stored windows while the rest is missing (202 pending), then commits once it lands', async () => {
    const f = fileOf(600);
    await upload(f.chunks.slice(0, 300));
    const pending = await putRecipe(f, '?wait=1');
    expect(pending.status).toBe(202);
    expect(pending.data).toMatchObject({ sha256: sha(f.bytes), created: false, pending: true, hashedBytes: 256 * KiB }); // window 1 of 3
    expect((await h.call('HEAD', `blobs/${sha(f.bytes)}`)).status).toBe(404);
    // A re-ask sends only the size and joins the same check; the rest arrives while it waits.
    const rejoin = () => h.call('PUT', `blobs/${sha(f.bytes)}/recipe?wait=10`, { json: { size: f.bytes.length } });
    const [done] = await Promise.all([rejoin(), new Promise((r) => setTimeout(r, 50)).then(() => upload(f.chunks.slice(300)))]);
    expect([done.status, done.data.created]).toEqual([201, true]);
    expect((await getBytes(h, `blobs/${sha(f.bytes)}`)).bytes.equals(f.bytes)).toBe(true);
    expect((await putRecipe(f, '?wait=10')).status).toBe(200); // stored now: answered at once
  });

  it('a size-only re-ask with no check running is 404 recipe_check_not_found; without ?wait it is not a recipe (400)', async () => {
    const f = fileOf(3);
    const lost = await h.call('PUT', `blobs/${sha(f.bytes)}/recipe?wait=5`, { json: { size: f.bytes.length } });
    expect([lost.status, lost.data.error.code]).toEqual([404, 'recipe_check_not_found']);
    const bare = await h.call('PUT', `blobs/${sha(f.bytes)}/recipe`, { json: { size: f.bytes.length } });
    expect([bare.status, bare.data.error.code]).toEqual([400, 'validation_failed']);
  });

  it('gives up with 409 chunk_missing listing every missing id once none arrived for the idle time', async () => {
    const f = fileOf(20);
    await upload(f.chunks.filter((_, i) => i !== 3 && i !== 17));
    const t0 = performance.now();
    const res = await putRecipe(f, '?wait=30');
    expect([res.status, res.data.error.code]).toEqual([409, 'chunk_missing']);
    expect(res.data.error.details.missing).toEqual([f.ids[3], f.ids[17]]);
    expect(performance.now() - t0).toBeLessThan(5_000); // the idle limit (1.5 s here), not the 30 s wait
    await upload([f.chunks[3]!, f.chunks[17]!]);
    expect((await putRecipe(f, '?wait=30')).status).toBe(201); // a failed check leaves; a new one starts
  });

  it('rejects a recipe that does not hash to its digest or size, and bad waits, with nothing stored', async () => {
    const f = fileOf(10);
    await upload(f.chunks);
    const swapped = [f.ids[1]!, f.ids[0]!, ...f.ids.slice(2)];
    const wrongOrder = await putRecipe(f, '?wait=5', swapped);
    expect([wrongOrder.status, wrongOrder.data.error.code]).toEqual([422, 'digest_mismatch']);
    const short = await h.call('PUT', `blobs/${sha(f.bytes)}/recipe?wait=5`, { json: { size: f.bytes.length - 1, chunks: f.ids } });
    expect([short.status, short.data.error.code]).toEqual([422, 'digest_mismatch']);
    for (const wait of ['61', '-1', 'soon', '1.5']) {
      const bad = await putRecipe(f, `?wait=${wait}`);
      expect([wait, bad.status, bad.data.error.code]).toEqual([wait, 400, 'validation_failed']);
    }
    expect((await h.call('HEAD', `blobs/${sha(f.bytes)}`)).status).toBe(404);
  });

  it('concurrent requests for one recipe share one check and one blob', async () => {
    const f = fileOf(300);
    const waiting = [putRecipe(f, '?wait=10'), putRecipe(f, '?wait=10')];
    await new Promise((r) => setTimeout(r, 50));
    await upload(f.chunks);
    const answers = await Promise.all(waiting);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    const rows = await h.db.kysely.selectFrom('blob_chunks' as never).select((eb) => eb.fn.countAll().as('n')).where('blob_sha256' as never, '=', sha(f.bytes) as never).executeTakeFirst();
    expect(Number((rows as { n: number }).n)).toBe(300);
  });

  it(`waits for at most ${MAX_WAITING_CHECKS} recipes at once; beyond that ?wait is answered at once, as without it`, async () => {
    const files = Array.from({ length: MAX_WAITING_CHECKS + 1 }, () => fileOf(3));
    const waiting = files.slice(0, MAX_WAITING_CHECKS).map((f) => putRecipe(f, '?wait=10'));
    // Every one of them waiting first (a fixed 50 ms was not always enough on PostgreSQL under load).
    while (h.services.blobs.recipeChecksRunning() < MAX_WAITING_CHECKS) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    const extra = await putRecipe(files.at(-1)!, '?wait=10');
    expect([extra.status, extra.data.error.code]).toEqual([409, 'chunk_missing']);
    expect(performance.now() - t0).toBeLessThan(1_000); // not the 1.5 s idle limit
    for (const res of await Promise.all(waiting)) expect([res.status, res.data.error.code]).toEqual([409, 'chunk_missing']);
  });

  it('a replica sharing the database and store sees chunks uploaded to another one (it polls the index)', async () => {
    const otherDb = await openDb(db.url);
    try {
      const other = createApp({ db: otherDb, objects: h.objects, signingKey: h.signingKey, auth: true });
      const callOther = apiCaller(other.app, h.admin);
      const f = fileOf(300);
      const waiting = callOther('PUT', `blobs/${sha(f.bytes)}/recipe?wait=10`, { json: { size: f.bytes.length, chunks: f.ids } });
      await new Promise((r) => setTimeout(r, 50));
      await upload(f.chunks); // to this replica: the other one gets no in-process wake-up
      const res = await waiting;
      expect([res.status, res.data.created]).toEqual([201, true]);
      expect((await getBytes(h, `blobs/${sha(f.bytes)}`)).bytes.equals(f.bytes)).toBe(true);
    } finally {
      await otherDb.close();
    }
  });

  it('a check still waiting when the server shuts down answers 503 at once', async () => {
    const f = fileOf(5);
    const waiting = putRecipe(f, '?wait=30');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    h.services.blobs.close();
    const res = await waiting;
    expect([res.status, res.data.error.code]).toEqual([503, 'shutting_down']);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
