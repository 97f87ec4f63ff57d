import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { token } from '../gates/gates-fixture.ts';
import { blobKey } from './blobs.service.ts';
import { fileOfChunks, getBytes, rejected, sha, uploadChunks } from '../storage/storage-test-helpers.ts';

const EMPTY = createHash('sha256').digest('hex');

describeEachDb('blobs in batches (POST /blobs/recipes, /blobs/recipes/query, /blobs/missing)', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  type File = ReturnType<typeof fileOfChunks>;
  const upload = (chunks: Buffer[]) => uploadChunks(h, chunks);
  const recipe = (f: File, over: Partial<{ sha256: string; size: number; chunks: string[] }> = {}) => ({ sha256: f.sha256, size: f.bytes.length, chunks: f.ids, ...over });
  const putRecipes = (recipes: unknown[], tok?: string) => h.call('POST', 'blobs/recipes', { json: { recipes }, ...(tok ? { token: tok } : {}) });
  const stored = async (f: File) => (await h.call('HEAD', `blobs/${f.sha256}`)).status === 200;

  it('commits every blob in one request, answering in request order; stored ones and repeats are created: false', async () => {
    const files = [fileOfChunks(1), fileOfChunks(5), fileOfChunks(2)];
    // A file of chunks other files have, one of them twice.
    const sharedChunks = [files[1]!.chunks[0]!, files[0]!.chunks[0]!, files[0]!.chunks[0]!];
    const sharedFile = { chunks: sharedChunks, ids: sharedChunks.map(sha), bytes: Buffer.concat(sharedChunks), sha256: sha(Buffer.concat(sharedChunks)) };
    await upload(files.flatMap((f) => f.chunks));
    expect((await h.call('PUT', `blobs/${files[2]!.sha256}/recipe`, { json: { size: files[2]!.bytes.length, chunks: files[2]!.ids } })).status).toBe(201);
    const res = await putRecipes([recipe(files[0]!), recipe(files[1]!), recipe(files[2]!), recipe(files[0]!), recipe(sharedFile), { sha256: EMPTY, size: 0, chunks: [] }]);
    expect(res.status).toBe(201);
    expect(res.data.results.map((r: { created: boolean }) => r.created)).toEqual([true, true, false, false, true, true]);
    expect(res.data.results.map((r: { sha256: string }) => r.sha256)).toEqual([files[0]!.sha256, files[1]!.sha256, files[2]!.sha256, files[0]!.sha256, sharedFile.sha256, EMPTY]);
    for (const f of [...files, sharedFile]) expect((await getBytes(h, `blobs/${f.sha256}`)).bytes.equals(f.bytes)).toBe(true);
    // Asked again: nothing to create (200).
    const again = await putRecipes([recipe(files[0]!), recipe(sharedFile)]);
    expect([again.status, again.data.results.map((r: { created: boolean }) => r.created)]).toEqual([200, [false, false]]);
  });

  it('hashes a recipe of 4 MiB or more on its own (as PUT does), between small ones hashed in one pass', async () => {
    const [a, big, b] = [fileOfChunks(2), fileOfChunks(4200), fileOfChunks(3)];
    for (let i = 0; i < big.chunks.length; i += 1000) await upload(big.chunks.slice(i, i + 1000));
    await upload([...a.chunks, ...b.chunks]);
    const swapped = await putRecipes([recipe(a), recipe(big, { chunks: [big.ids[1]!, big.ids[0]!, ...big.ids.slice(2)] }), recipe(b)]);
    expect([swapped.status, swapped.data.error.code, swapped.data.error.details.sha256]).toEqual([422, 'digest_mismatch', big.sha256]);
    const res = await putRecipes([recipe(a), recipe(big), recipe(b)]);
    expect([res.status, res.data.results.map((r: { created: boolean }) => r.created)]).toEqual([201, [true, true, true]]);
    for (const f of [a, big, b]) expect((await getBytes(h, `blobs/${f.sha256}`)).bytes.equals(f.bytes)).toBe(true);
  });

  it('names every missing chunk of every recipe (409) and commits none of them', async () => {
    const [a, b, c] = [fileOfChunks(4), fileOfChunks(3), fileOfChunks(2)];
    await upload([...a.chunks.slice(1), ...b.chunks, ...c.chunks.slice(0, 1)]);
    const before = await rejected(h, 'chunk_missing');
    const res = await putRecipes([recipe(a), recipe(b), recipe(c)]);
    expect([res.status, res.data.error.code]).toEqual([409, 'chunk_missing']);
    expect(res.data.error.details.missing).toEqual([a.ids[0], c.ids[1]]);
    expect(await rejected(h, 'chunk_missing')).toBe(before + 1);
    for (const f of [a, b, c]) expect(await stored(f)).toBe(false); // b's chunks were all there: still not committed
    await upload([a.chunks[0]!, c.chunks[1]!]);
    expect((await putRecipes([recipe(a), recipe(b), recipe(c)])).status).toBe(201);
    for (const f of [a, b, c]) expect(await stored(f)).toBe(true);
  });

  it('refuses a recipe that does not hash to its digest or add up to its size (422), committing none', async () => {
    const [a, b] = [fileOfChunks(3), fileOfChunks(3)];
    await upload([...a.chunks, ...b.chunks]);
    const swapped = await putRecipes([recipe(a), recipe(b, { chunks: [b.ids[1]!, b.ids[0]!, b.ids[2]!] })]);
    expect([swapped.status, swapped.data.error.code, swapped.data.error.details.sha256]).toEqual([422, 'digest_mismatch', b.sha256]);
    const short = await putRecipes([recipe(b), recipe(a, { size: a.bytes.length + 1 })]);
    expect([short.status, short.data.error.code, short.data.error.details.sha256]).toEqual([422, 'digest_mismatch', a.sha256]);
    expect(await stored(a)).toBe(false);
    expect(await stored(b)).toBe(false);
  });

  it('validates the request: malformed JSON, a bad digest, too many recipes or ids (400), and needs the publish role', async () => {
    const a = fileOfChunks(1);
    await upload(a.chunks);
    const bad = await h.call('POST', 'blobs/recipes', { body: '{"recipes":', headers: { 'content-type': 'application/json' } });
    expect([bad.status, bad.data.error.code]).toEqual([400, 'malformed_json']);
    const notHex = await putRecipes([recipe(a, { sha256: 'nope' })]);
    expect([notHex.status, notHex.data.error.code]).toEqual([400, 'validation_failed']);
    expect((await putRecipes([])).status).toBe(400);
    expect((await putRecipes(Array.from({ length: 1001 }, () => recipe(a)))).status).toBe(400);
    const many = await putRecipes(Array.from({ length: 11 }, () => recipe(a, { chunks: Array.from({ length: 10_000 }, () => a.ids[0]!) })));
    expect([many.status, many.data.error.code]).toEqual([400, 'too_many_ids']);
    const viewer = await token(h, `viewer-${db.name}`, 'viewer');
    expect((await putRecipes([recipe(a)], viewer)).status).toBe(403);
    expect(await stored(a)).toBe(false);
  });

  it('says which blobs are missing in one request, touching the stored ones', async () => {
    const a = fileOfChunks(2);
    await upload(a.chunks);
    expect((await putRecipes([recipe(a)])).status).toBe(201);
    const touched = async () => ((await (h.db.kysely as any).selectFrom('blobs').select('touched_at').where('sha256', '=', a.sha256).executeTakeFirst()) as { touched_at: string }).touched_at;
    await (h.db.kysely as any).updateTable('blobs').set({ touched_at: new Date(0).toISOString() }).where('sha256', '=', a.sha256).execute();
    const unknown = 'e'.repeat(64);
    const res = await h.call('POST', 'blobs/missing', { json: { sha256s: [unknown, a.sha256, unknown] } });
    expect([res.status, res.data]).toEqual([200, { missing: [unknown] }]);
    expect(await touched()).not.toBe(new Date(0).toISOString());
    expect((await h.call('POST', 'blobs/missing', { json: { sha256s: ['nope'] } })).status).toBe(400);
    const viewer = await token(h, `asker-${db.name}`, 'viewer');
    expect((await h.call('POST', 'blobs/missing', { json: { sha256s: [a.sha256] }, token: viewer })).status).toBe(403);
  });

  it('reads several recipes in one request: in order, null for a blob not stored, too_large past the limit', async () => {
    const [a, b] = [fileOfChunks(3), fileOfChunks(1)];
    await upload([...a.chunks, ...b.chunks]);
    expect((await putRecipes([recipe(a), recipe(b), { sha256: EMPTY, size: 0, chunks: [] }])).status).toBe(201);
    const unknown = 'f'.repeat(64);
    const viewer = await token(h, `reader-${db.name}`, 'viewer');
    const res = await h.call('POST', 'blobs/recipes/query', { json: { sha256s: [b.sha256, unknown, a.sha256, EMPTY, b.sha256] }, token: viewer });
    expect(res.status).toBe(200);
    const chunksOf = (f: File) => f.ids.map((id) => ({ id, size: 1024 }));
    expect(res.data.recipes).toEqual([
      { sha256: b.sha256, size: 1024, chunks: chunksOf(b) },
      null,
      { sha256: a.sha256, size: 3072, chunks: chunksOf(a) },
      { sha256: EMPTY, size: 0, chunks: [] },
      { sha256: b.sha256, size: 1024, chunks: chunksOf(b) },
    ]);
    // The same answers as GET /blobs/{sha}/recipe.
    expect((await h.call('GET', `blobs/${a.sha256}/recipe`)).data).toEqual(res.data.recipes[2]);
    // A blob stored whole, before chunked storage, has no recipe: null, as GET answers 404 recipe_not_found.
    const legacy = Buffer.from('stored whole');
    await h.objects.put(blobKey(sha(legacy)), legacy);
    const rows = (h.db.kysely as any).insertInto('blobs');
    await rows.values({ sha256: sha(legacy), size: legacy.length, created_at: new Date(0).toISOString() }).execute();
    expect((await h.call('POST', 'blobs/recipes/query', { json: { sha256s: [sha(legacy)] } })).data.recipes).toEqual([null]);
    const tooMany = await h.call('POST', 'blobs/recipes/query', { json: { sha256s: Array.from({ length: 1001 }, () => a.sha256) } });
    expect([tooMany.status, tooMany.data.error.code]).toEqual([400, 'validation_failed']);
    // Two rows claiming 600 MiB each (the limit counts the files' bytes, not what the answer holds).
    const big = ['1', '2'].map((c) => c.repeat(64));
    for (const d of big) await (h.db.kysely as any).insertInto('blobs').values({ sha256: d, size: 600 * 1024 * 1024, created_at: new Date(0).toISOString() }).execute();
    const large = await h.call('POST', 'blobs/recipes/query', { json: { sha256s: big } });
    expect([large.status, large.data.error.code]).toEqual([400, 'too_large']);
    expect((await h.call('POST', 'blobs/recipes/query', { json: { sha256s: [big[0]] } })).data.recipes).toEqual([null]);
  });
});
