import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Decompressor } from 'zstd-napi';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { storageDb } from './storage.tables.ts';
import { float16Weights, frames, getBytes, sha } from './storage-test-helpers.ts';

/** Parses an encoded fetch answer: the length word's top 2 bits are the encoding. */
function parseEncoded(body: Buffer): { id: string; encoding: number; bytes: Buffer }[] {
  const out = [];
  for (let at = 0; at < body.length; ) {
    const word = body.readUInt32BE(at + 32);
    const len = word & 0x3fffffff;
    out.push({ id: body.subarray(at, at + 32).toString('hex'), encoding: word >>> 30, bytes: body.subarray(at + 36, at + 36 + len) });
    at += 36 + len;
  }
  return out;
}

const unzstd = (b: Uint8Array, dict?: Uint8Array): Buffer => {
  const d = new Decompressor();
  if (dict) d.loadDictionary(dict);
  return d.decompress(b);
};

describeEachDb('compressed chunk fetch answers', (testDb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(testDb.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  const fetchRaw = (body: unknown) =>
    h.app.request('/api/v1/chunks/fetch', { method: 'POST', headers: { authorization: `Bearer ${h.admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('ships stored zstd as is, compresses raw chunks only when it saves, and encodes an edited chunk against its base', async () => {
    const text = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i} of a config file\n`).join('')).subarray(0, 100_000);
    const rnd = randomBytes(100_000);
    const edited = Buffer.from(rnd);
    randomBytes(1000).copy(edited, 50_000);
    expect((await h.call('POST', 'chunks', { body: frames([text, rnd, edited]) })).status).toBe(200);
    const ids = [text, rnd, edited].map(sha);

    const res = await fetchRaw({ ids, encoding: 'zstd', bases: [[], [], [ids[1]]] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.steward.chunk-frames+zstd');
    const got = parseEncoded(Buffer.from(await res.arrayBuffer()));
    expect(got.map((g) => [g.id, g.encoding])).toEqual([[ids[0], 1], [ids[1], 0], [ids[2], 2]]);
    expect(got[0]!.bytes.length).toBeLessThan(text.length / 4);
    expect(unzstd(got[0]!.bytes).equals(text)).toBe(true);
    expect(got[1]!.bytes.equals(rnd)).toBe(true);
    // 1000 new bytes and 99,000 old ones: the frame carries about the new ones.
    expect(got[2]!.bytes.length).toBeLessThan(1400);
    expect(unzstd(got[2]!.bytes, rnd).equals(edited)).toBe(true);

    // A base the server does not store is ignored (the chunk comes as it would without).
    const unknownBase = await fetchRaw({ ids: [ids[2]], encoding: 'zstd', bases: [[sha(randomBytes(9))]] });
    const [plain] = parseEncoded(Buffer.from(await unknownBase.arrayBuffer()));
    expect([plain!.encoding, plain!.bytes.equals(edited)]).toEqual([0, true]);

    // Old clients (no encoding) get raw frames with plain lengths.
    const old = await fetchRaw({ ids: [ids[0]] });
    expect(old.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await old.arrayBuffer());
    expect([body.readUInt32BE(32), body.subarray(36).equals(text)]).toEqual([text.length, true]);
  });

  it('remembers delta frames for the next device: the same answer again, without building the dictionary', async () => {
    const base = randomBytes(100_000);
    const edited = Buffer.from(base);
    randomBytes(700).copy(edited, 20_000);
    const noise = randomBytes(100_000);
    expect((await h.call('POST', 'chunks', { body: frames([base, edited, noise]) })).status).toBe(200);
    const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec((await h.call('GET', '/metrics', { token: null })).text)?.[1]);
    const stats = async () => ({ hits: await gauge('steward_storage_delta_frame_hits'), misses: await gauge('steward_storage_delta_frame_misses'), frames: await gauge('steward_storage_delta_frames') });
    // The edited chunk is cheap against its base; the noise chunk is not (that answer is remembered too).
    const ask = async () => parseEncoded(Buffer.from(await (await fetchRaw({ ids: [sha(edited), sha(noise)], encoding: 'zstd', bases: [[sha(base)], [sha(base)]] })).arrayBuffer()));
    const s0 = await stats();
    const first = await ask();
    const s1 = await stats();
    expect([s1.misses - s0.misses, s1.hits - s0.hits, s1.frames - s0.frames]).toEqual([2, 0, 2]);
    const second = await ask();
    const s2 = await stats();
    expect([s2.misses - s1.misses, s2.hits - s1.hits, s2.frames - s1.frames]).toEqual([0, 2, 0]);
    expect(second.map((g) => g.encoding)).toEqual([2, 0]);
    expect(second.map((g) => g.bytes.toString('hex'))).toEqual(first.map((g) => g.bytes.toString('hex')));
    expect(second[0]!.bytes.length).toBeLessThan(1100);
    expect(unzstd(second[0]!.bytes, base).equals(edited)).toBe(true);
    expect(second[1]!.bytes.equals(noise)).toBe(true);
  });

  it('records why a chunk is stored raw, answers by that record, and still serves chunks stored before it (\'none\')', async () => {
    const weights = float16Weights(64 * 1024);
    const noise = randomBytes(64 * 1024);
    const text = Buffer.from('bias: 0.0\n'.repeat(7000));
    expect((await h.call('POST', 'chunks', { body: frames([weights, noise, text]) })).status).toBe(200);
    const ids = [weights, noise, text].map(sha);
    const db = storageDb(h.db.kysely);
    const stored = async () => new Map((await db.selectFrom('chunks').select(['id', 'compression', 'stored_length']).where('id', 'in', ids).execute()).map((r) => [r.id, r]));
    const rows = await stored();
    expect(ids.map((id) => rows.get(id)!.compression)).toEqual(['raw-low-gain', 'raw-incompressible', 'zstd']);
    expect(rows.get(ids[0]!)!.stored_length).toBe(weights.length); // raw: readers need no decompression

    const answer = async () => parseEncoded(Buffer.from(await (await fetchRaw({ ids, encoding: 'zstd' })).arrayBuffer()));
    const got = await answer();
    expect(got.map((g) => g.encoding)).toEqual([1, 0, 1]);
    expect(got[0]!.bytes.length).toBeLessThan(weights.length * 0.95);
    expect(unzstd(got[0]!.bytes).equals(weights)).toBe(true);

    // Rows written before the reason was recorded say 'none': still read, probed, and compressed when that saves.
    await db.updateTable('chunks').set({ compression: 'none' }).where('id', 'in', ids.slice(0, 2)).execute();
    const legacy = await answer();
    expect(legacy.map((g) => g.encoding)).toEqual([1, 0, 1]);
    expect(unzstd(legacy[0]!.bytes).equals(weights)).toBe(true);
    expect(legacy[1]!.bytes.equals(noise)).toBe(true);
    const blob = Buffer.concat([weights, noise, text]);
    const put = await h.call('PUT', `blobs/${sha(blob)}/recipe`, { json: { size: blob.length, chunks: ids } });
    expect(put.status).toBeLessThan(300);
    const whole = await getBytes(h, `blobs/${sha(blob)}`);
    expect([whole.status, whole.bytes.equals(blob)]).toEqual([200, true]);
  });

  it('refuses bases that do not line up with the ids, or without an encoding', async () => {
    const a = randomBytes(1000);
    await h.call('POST', 'chunks', { body: frames([a]) });
    const wrongLength = await h.call('POST', 'chunks/fetch', { json: { ids: [sha(a)], encoding: 'zstd', bases: [[], []] } });
    expect([wrongLength.status, wrongLength.data.error.code]).toEqual([400, 'bad_bases']);
    const noEncoding = await h.call('POST', 'chunks/fetch', { json: { ids: [sha(a)], bases: [[sha(a)]] } });
    expect([noEncoding.status, noEncoding.data.error.code]).toEqual([400, 'bad_bases']);
    const tooMany = await h.call('POST', 'chunks/fetch', { json: { ids: [sha(a)], encoding: 'zstd', bases: [Array(9).fill(sha(a))] } });
    expect(tooMany.status).toBe(400);
  });
});
