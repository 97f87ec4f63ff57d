import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '@steward/core';
import { sha256 } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { fakeClock, startFleetHarness, type FleetHarness } from './fleet.harness.ts';

/**
 * Two servers on one database: quorum is counted in SQL from what either server recorded, and a
 * server whose cached view of a node went stale (the node talked to the other one) repairs the
 * row instead of keeping the other server's older report.
 */
describeEachDb('fleet with two replicas', (db) => {
  let h: FleetHarness;
  let r2: Awaited<ReturnType<FleetHarness['replica']>>;
  const digest: Record<string, string> = {};
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    h = await startFleetHarness(db.url, { clock: fakeClock(), fleet: { livenessTtlMs: 5000, heartbeatBurst: 50, heartbeatPerSecond: 50 } });
    r2 = await h.replica();
    h.clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'llama' } });
    for (const v of ['2.0.0', '2.1.0']) digest[v] = sha256(canonicalJson((await h.push('llama', v, `weights ${v}`)).manifest));
    for (const n of ['a', 'b', 'c', 'd']) tok[n] = await h.nodeToken(`node-${n}`);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.0.0' } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const hb = async (server: 1 | 2, node: string, installed: string[], bad?: string) => {
    const call = server === 1 ? h.call : r2.call;
    const r = await call('POST', `nodes/gpu-${node}/heartbeat`, {
      token: tok[node]!,
      json: { channels: [{ model: 'llama', channel: 'production' }], installed: installed.map((v) => ({ model: 'llama', version: v, digest: v === bad ? 'e'.repeat(64) : digest[v] })), profile: {}, appVersion: '1.0.0' },
    });
    expect(r.status, r.text).toBe(200);
    await (server === 1 ? h.services.fleet : r2.services.fleet).flush();
    return r.data;
  };
  const installedOf = async (node: string) =>
    ((await h.call('GET', 'nodes?model=llama')).data.items as { id: string; installed: { version: string }[] }[]).find((n) => n.id === `gpu-${node}`)?.installed.map((i) => i.version);

  it('counts a quorum from heartbeats recorded by either server', async () => {
    h.clock.toBlock(3);
    for (const [s, n] of [[1, 'a'], [2, 'b'], [1, 'c'], [2, 'd']] as const) await hb(s, n, ['2.0.0']);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0' } });
    h.clock.toBlock(4);
    await hb(1, 'a', ['2.0.0', '2.1.0']);
    await hb(2, 'b', ['2.0.0', '2.1.0']);
    await hb(2, 'c', ['2.0.0', '2.1.0'], '2.1.0'); // wrong bytes: flagged, never counts
    await r2.services.fleet.evaluate('llama', 'production');
    let t = (await r2.call('GET', 'models/llama/transitions?channel=production')).data.items.at(-1);
    expect(t).toMatchObject({ state: 'pending' }); // 2 of 4 live nodes; 3 needed
    await hb(1, 'd', ['2.0.0', '2.1.0']);
    t = (await h.call('GET', 'models/llama/transitions?channel=production')).data.items.at(-1);
    expect(t).toMatchObject({ state: 'scheduled', usableFromBlock: 14, basis: 'quorum' });
  });

  it('a stale cached report on one server is repaired, not kept', async () => {
    h.clock.toBlock(5);
    await hb(1, 'a', ['2.0.0', '2.1.0']); // server 1 caches this report
    await hb(2, 'a', ['2.1.0']); // the node unloaded 2.0.0 and reported it to server 2
    expect(await installedOf('a')).toEqual(['2.1.0']);
    // Back to server 1 with its first report: server 1's cache says "unchanged", the database
    // says otherwise; the touch misses and the row is rewritten with what the node said last.
    await hb(1, 'a', ['2.0.0', '2.1.0']);
    await h.services.fleet.flush();
    expect(await installedOf('a')).toEqual(['2.0.0', '2.1.0']);
    // And the next steady heartbeat on server 1 is a plain touch again.
    h.clock.toBlock(6);
    await hb(1, 'a', ['2.0.0', '2.1.0']);
    const row = ((await h.call('GET', 'nodes?model=llama')).data.items as { id: string; lastBlock: number }[]).find((n) => n.id === 'gpu-a');
    expect(row?.lastBlock).toBe(6);
  });

  it("a stale cache never lets a node take over another token's node id", async () => {
    await hb(1, 'b', ['2.0.0', '2.1.0']); // server 1 caches gpu-b as node-b's
    // An admin re-registers gpu-b through server 2 (admins may): the row now belongs to the admin token.
    const adm = await r2.call('POST', 'nodes/gpu-b/heartbeat', { json: { channels: [{ model: 'llama', channel: 'production' }], installed: [], profile: {}, appVersion: '1.0.0' } });
    expect(adm.status, adm.text).toBe(200);
    await r2.services.fleet.flush();
    // node-b's token on server 1: the cached view says "its own node, unchanged"; the touch misses,
    // the repair sees another token's row and leaves it; the next heartbeat is refused.
    await hb(1, 'b', ['2.0.0', '2.1.0']);
    await h.services.fleet.flush();
    expect(await installedOf('b')).toEqual([]);
    const next = await h.call('POST', 'nodes/gpu-b/heartbeat', { token: tok.b!, json: { channels: [], installed: [], profile: {}, appVersion: '1.0.0' } });
    expect(next.status).toBe(403);
  });
});
