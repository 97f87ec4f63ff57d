import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { getBytes } from './storage-test-helpers.ts';

/** Many small pushes leave many small packs; GC merges them into one without touching a byte of content. */
describeEachDb('GC merges small packs', (db) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(db.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('merges the small packs of small pushes into one; every version reads back the same and fsck is clean', async () => {
    await h.call('POST', 'models', { json: { name: 'tiny' } });
    const files = Array.from({ length: 6 }, () => randomBytes(50_000 + Math.floor(Math.random() * 50_000)));
    for (const [i, f] of files.entries()) expect((await h.push('tiny', `1.0.${i}`, { 'w.bin': f })).status).toBe(201);
    // Free disk space moves with everything else on the machine: compare the store's own figures.
    const stats = async () => ({ ...(await h.call('GET', 'storage/stats')).data, disk: undefined });
    const before = await stats();
    expect(before.packs).toBeGreaterThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 30));

    const dry = (await h.call('POST', 'storage/gc', { json: { graceSeconds: 0, dryRun: true } })).data;
    expect(dry.mergedPacks).toBe(before.packs);
    expect(await stats()).toEqual(before);

    const gc = (await h.call('POST', 'storage/gc', { json: { graceSeconds: 0 } })).data;
    expect(gc).toMatchObject({ mergedPacks: dry.mergedPacks, deletedPacks: dry.deletedPacks, freedBytes: 0, deletedChunks: 0 });
    const after = (await h.call('GET', 'storage/stats')).data;
    expect(after.packs).toBe(1);
    expect(after.storedBytes).toBe(before.storedBytes);
    expect((await h.call('POST', 'storage/fsck')).data).toMatchObject({ ok: true, problems: [] });
    for (const [i, f] of files.entries()) expect((await getBytes(h, `models/tiny/versions/1.0.${i}/files/w.bin`)).bytes.equals(f)).toBe(true);

    // One pack left: nothing more to merge.
    await new Promise((r) => setTimeout(r, 30));
    expect((await h.call('POST', 'storage/gc', { json: { graceSeconds: 0 } })).data.mergedPacks).toBe(0);
  });
});
