import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { chunkBuffer } from './chunker.ts';
import { edited, frames, getBytes, sha } from './storage-test-helpers.ts';

const GRACE = 1.5; // seconds; every single push below finishes well inside it
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDb('GC racing pushes', (db) => {
  let h: Harness;
  beforeAll(async () => {
    process.env.STEWARD_PACK_SIZE = String(256 * 1024);
    h = await startHarness(db.url);
    delete process.env.STEWARD_PACK_SIZE;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('never loses a committed version while pushes reuse chunks GC is sweeping', async () => {
    await h.call('POST', 'models', { json: { name: 'race' } });
    // Old garbage that new pushes will partly reuse: unreferenced blobs, past the grace period by the time GC runs.
    const seeds = [randomBytes(600_000), randomBytes(600_000)];
    for (const g of seeds) await h.call('PUT', `blobs/${sha(g)}`, { body: g, headers: { 'content-length': String(g.length) } });
    await sleep(GRACE * 1000 + 100);

    const committed = new Map<string, Buffer>();
    let stop = false;
    let gcRuns = 0;
    let swept = 0;
    const gcLoop = (async () => {
      while (!stop) {
        const r = await h.call('POST', 'storage/gc', { json: { graceSeconds: GRACE, repackBelow: 0.9 } });
        expect(r.status).toBe(200);
        gcRuns++;
        swept += r.data.deletedBlobs;
        await sleep(5);
      }
    })();
    const pusher = async (p: number) => {
      for (let i = 0; i < 4; i++) {
        const version = `${p}.${i}.0`;
        const bytes = edited(seeds[(p + i) % 2]!, 3, p * 10 + i);
        for (let attempt = 0; ; attempt++) {
          // Half the pushes go through chunk negotiation, half through whole-file PUT.
          const res = p % 2 === 0 ? await h.push('race', version, { 'w.bin': bytes }) : await pushChunked(h, version, bytes);
          if (res.status === 201) break;
          expect(attempt, JSON.stringify(res.data)).toBeLessThan(3); // a push losing a GC race may retry
        }
        committed.set(version, bytes);
      }
    };
    await Promise.all([0, 1, 2, 3].map(pusher));
    stop = true;
    await gcLoop;
    expect(gcRuns).toBeGreaterThan(2);
    // Let everything age past the grace period, then sweep for real: still nothing committed may go.
    await sleep(GRACE * 1000 + 100);
    const last = (await h.call('POST', 'storage/gc', { json: { graceSeconds: GRACE, repackBelow: 0.9 } })).data;
    expect(swept + last.deletedBlobs).toBe(2); // the two seeds, and nothing a version uses
    const fsck = (await h.call('POST', 'storage/fsck')).data;
    expect(fsck.problems).toEqual([]);
    expect(fsck.checked.versions).toBe(16);
    for (const [version, bytes] of committed) {
      const got = await getBytes(h, `models/race/versions/${version}/files/w.bin`);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(bytes), version).toBe(true);
    }
  });
});

/** The client's delta push: ask what is missing, upload those chunks, then PUT the recipe. */
async function pushChunked(h: Harness, version: string, bytes: Buffer) {
  const chunks = chunkBuffer(bytes).map((c) => bytes.subarray(c.offset, c.offset + c.length));
  const ids = chunks.map(sha);
  const missing = new Set<string>((await h.call('POST', 'chunks/missing', { json: { ids } })).data.missing);
  const toSend = chunks.filter((c, i) => missing.has(ids[i]!));
  if (toSend.length) await h.call('POST', 'chunks', { body: frames(toSend) });
  const recipe = await h.call('PUT', `blobs/${sha(bytes)}/recipe`, { json: { size: bytes.length, chunks: ids } });
  if (recipe.status >= 300) return recipe;
  const draft = await h.call('POST', 'models/race/drafts', { json: { version } });
  const att = await h.call('PUT', `models/race/drafts/${draft.data.id}/files`, { json: { files: [{ path: 'w.bin', sha256: sha(bytes), size: bytes.length }] } });
  if (att.status !== 200) return att;
  return h.call('POST', `models/race/drafts/${draft.data.id}/commit`);
}
