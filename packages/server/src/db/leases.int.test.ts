import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../testing/api-harness.ts';
import { describeEachDb } from '../testing/test-dbs.ts';
import { createLeases } from './leases.ts';

/** Named leases across servers of one database; storage maintenance (GC, fsck) takes one. */
describeEachDb('leases', (db) => {
  let h: Harness;
  let t = Date.parse('2026-11-24T10:00:00Z');
  const now = () => new Date(t);
  beforeAll(async () => {
    h = await startHarness(db.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('one holder at a time: a second is refused until the first releases it or lets it expire', async () => {
    const a = createLeases(h.db.kysely, { now, holder: 'a' });
    const b = createLeases(h.db.kysely, { now, holder: 'b' });
    expect(await a.acquire('job', 60_000)).toBe(true);
    expect(await b.acquire('job', 60_000)).toBe(false);
    expect(await a.acquire('job', 60_000)).toBe(true); // renewing
    expect(await b.heldBy('job')).toMatchObject({ holder: 'a', expiresAt: new Date(t + 60_000).toISOString() });
    expect(await a.acquire('other', 60_000)).toBe(true); // names are independent
    await b.release('job'); // not b's to release
    expect(await b.acquire('job', 60_000)).toBe(false);
    await a.release('job');
    expect(await b.acquire('job', 60_000)).toBe(true);
    t += 61_000; // b died without releasing
    expect(await b.heldBy('job')).toBeNull();
    expect(await a.acquire('job', 60_000)).toBe(true);
  });

  it('a lease left by a dead process of this host is taken over at once; a live one is not', async () => {
    const { spawnSync } = await import('node:child_process');
    const { hostname } = await import('node:os');
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!; // ran and exited
    const crashed = createLeases(h.db.kysely, { now, holder: `${hostname()}/${dead}/abc` });
    const alive = createLeases(h.db.kysely, { now, holder: `${hostname()}/${process.ppid}/abc` }); // vitest's parent runs
    const restarted = createLeases(h.db.kysely, { now });
    expect(await alive.acquire('live', 60_000)).toBe(true);
    expect(await restarted.acquire('live', 60_000)).toBe(false);
    expect(await crashed.acquire('left', 60_000)).toBe(true);
    expect(await restarted.acquire('left', 60_000)).toBe(true);
    expect((await restarted.heldBy('left'))!.holder).toBe(restarted.holder);
  });

  it('of many servers racing for a free lease, exactly one wins', async () => {
    const racers = Array.from({ length: 12 }, (_, i) => createLeases(h.db.kysely, { now, holder: `r${i}` }));
    const won = await Promise.all(racers.map((r) => r.acquire('race', 60_000)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await racers[0]!.heldBy('race'))!.holder).toBe(`r${won.indexOf(true)}`);
  });

  it('GC and fsck are refused with 409 while another server holds storage maintenance, and run once it is free', async () => {
    const other = createLeases(h.db.kysely, { now: () => new Date(), holder: 'srv_other' });
    expect(await other.acquire('storage-maintenance', 60_000)).toBe(true);
    for (const path of ['storage/gc', 'storage/fsck']) {
      const r = await h.call('POST', path, path.endsWith('gc') ? { json: { dryRun: true } } : {});
      expect([r.status, r.data.error.code], path).toEqual([409, 'storage_maintenance_running']);
      expect(r.data.error.message).toMatch(/srv_other/);
    }
    await other.release('storage-maintenance');
    expect((await h.call('POST', 'storage/gc', { json: { dryRun: true } })).status).toBe(200);
    expect((await h.call('POST', 'storage/fsck')).status).toBe(200);
    expect(await other.heldBy('storage-maintenance')).toBeNull(); // released after each run
  });
});
