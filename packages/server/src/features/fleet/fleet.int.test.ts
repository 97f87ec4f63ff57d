import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '@steward/core';
import { sha256 } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { fakeClock, startFleetHarness, type FleetHarness } from './fleet.harness.ts';

describeEachDb('fleet transitions', (db) => {
  let h: FleetHarness;
  const digest: Record<string, string> = {};
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    h = await startFleetHarness(db.url, { clock: fakeClock(), fleet: { livenessTtlMs: 5000, heartbeatBurst: 20, heartbeatPerSecond: 1 } });
    h.clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'llama' } });
    for (const v of ['1.9.0', '2.0.0', '2.1.0']) digest[v] = sha256(canonicalJson((await h.push('llama', v, `weights ${v}`)).manifest));
    for (const n of ['a', 'b', 'c']) tok[n] = await h.nodeToken(`node-${n}`);
  });
  afterAll(async () => {
    await h?.close();
  });
  const hb = (node: string, installed: string[], extra: Record<string, unknown> = {}, token = tok[node]) =>
    h.call('POST', `nodes/gpu-${node}/heartbeat`, {
      token: token ?? null,
      json: { channels: [{ model: 'llama', channel: 'production' }], installed: installed.map((v) => ({ model: 'llama', version: v, digest: digest[v] ?? 'a'.repeat(64) })), profile: { platform: 'linux', arch: 'x64', metered: false }, appVersion: '1.0.0', ...extra },
    });

  it('applies a change at the next block when no node is registered', async () => {
    const r = await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.0.0' } });
    expect(r.status).toBe(200);
    const t = await h.call('GET', 'models/llama/transitions');
    expect(t.data.items).toMatchObject([{ table: { stable: '2.0.0' }, state: 'scheduled', usableFromBlock: 2, basis: 'no-live-nodes' }]);
  });

  it('registers nodes and answers with the table in force', async () => {
    h.clock.toBlock(3);
    for (const n of ['a', 'b', 'c']) {
      const r = await hb(n, ['2.0.0']);
      expect(r.status, r.text).toBe(200);
      expect(r.data).toMatchObject({ currentBlock: 3, intervalMs: 1000, lagging: false, flagged: [] });
      expect(r.data.channels[0]).toMatchObject({ inForce: { stable: '2.0.0' }, pending: null, missing: [] });
    }
    const nodes = await h.call('GET', 'nodes?model=llama');
    expect(nodes.data.items.map((n: { id: string; live: boolean }) => [n.id, n.live])).toEqual([['gpu-a', true], ['gpu-b', true], ['gpu-c', true]]);
  });

  it('refuses bad heartbeats with a clear 4xx and changes nothing', async () => {
    const before = (await h.call('GET', 'nodes')).data.items;
    expect((await hb('a', ['2.0.0'], {}, 'stw_not-a-token')).status).toBe(401);
    const bad = await h.call('POST', 'nodes/gpu-a/heartbeat', { token: tok.a!, json: { installed: [{ model: 'llama', version: '2.0.0', digest: 'xyz' }] } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.code).toBe('validation_failed');
    const missing = await hb('a', ['2.0.0', '9.9.9'], {}, tok.a);
    expect(missing.status).toBe(404);
    expect(missing.data.error.code).toBe('version_not_found');
    const skew = await hb('a', ['2.0.0'], { clockMs: h.clock.now().getTime() - 3600_000 });
    expect([skew.status, skew.data.error.code]).toEqual([400, 'clock_skew']);
    const future = await hb('a', ['2.0.0'], { clockMs: h.clock.now().getTime() + 86400_000 });
    expect(future.status).toBe(400);
    const stolen = await hb('a', ['2.0.0'], {}, tok.b);
    expect([stolen.status, stolen.data.error.code]).toEqual([403, 'forbidden']);
    const viewer = (await h.call('POST', 'tokens', { json: { name: 'v', role: 'viewer' } })).data.token;
    expect((await hb('a', ['2.0.0'], {}, viewer)).status).toBe(403);
    const revoked = await h.call('POST', 'tokens', { json: { name: 'gone', role: 'node' } });
    await h.call('DELETE', `tokens/${revoked.data.id}`);
    expect((await hb('z', ['2.0.0'], {}, revoked.data.token)).status).toBe(401);
    expect((await h.call('GET', 'nodes')).data.items).toEqual(before);
  });

  it('rate-limits a flood from one node with 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await hb('c', ['2.0.0'])).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(21);
    h.clock.toBlock(4, 0.9); // tokens refill with time
  });

  it('schedules a transition at quorum + activationDelay, ignoring a node with a wrong digest', async () => {
    h.clock.toBlock(5);
    expect((await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0' } })).status).toBe(200);
    let t = (await h.call('GET', 'models/llama/transitions?channel=production')).data.items;
    expect(t.at(-1)).toMatchObject({ state: 'pending', usableFromBlock: null, previousTable: { stable: '2.0.0' } });
    const a = await hb('a', ['2.0.0', '2.1.0']);
    expect(a.data.channels[0].pending).toMatchObject({ table: { stable: '2.1.0' } });
    // gpu-c reports 2.1.0 with bytes that are not the registry's: flagged, never counted.
    const c = await h.call('POST', 'nodes/gpu-c/heartbeat', {
      token: tok.c!,
      json: { channels: [{ model: 'llama', channel: 'production' }], installed: [{ model: 'llama', version: '2.0.0', digest: digest['2.0.0'] }, { model: 'llama', version: '2.1.0', digest: 'f'.repeat(64) }] },
    });
    expect(c.data.flagged).toEqual([{ model: 'llama', version: '2.1.0', digest: 'f'.repeat(64) }]);
    expect(c.data.channels[0].missing).toEqual(['2.1.0']);
    t = (await h.call('GET', 'models/llama/transitions?channel=production')).data.items;
    expect(t.at(-1).state).toBe('pending'); // 1 of 3 live nodes ready; 2 needed
    h.clock.toBlock(6);
    // gpu-b's report completes the quorum. Its own answer need not show the decision (taken
    // beside it, not before it: a report does not wait for quorum counts over the fleet); the
    // transitions list waits for the evaluations that heartbeats started, and the node's next
    // answer carries the switch, activationDelay blocks ahead of it.
    await hb('b', ['2.0.0', '2.1.0']);
    t = (await h.call('GET', 'models/llama/transitions?channel=production')).data.items;
    expect(t.at(-1)).toMatchObject({ state: 'scheduled', usableFromBlock: 16, basis: 'quorum' });
    const b = await hb('b', ['2.0.0', '2.1.0']);
    expect(b.data.channels[0].history).toEqual([
      { table: { stable: '2.0.0' }, usableFromBlock: 2 },
      { table: { stable: '2.1.0' }, usableFromBlock: 16 },
    ]);
    const nodes = (await h.call('GET', 'nodes')).data.items;
    expect(nodes.find((n: { id: string }) => n.id === 'gpu-c').flagged).toHaveLength(1);
  });

  it('tells a node that lacks the table in force that it lags', async () => {
    h.clock.toBlock(17);
    const c = await hb('c', ['2.0.0']);
    expect(c.data.lagging).toBe(true);
    expect(c.data.channels[0]).toMatchObject({ inForce: { stable: '2.1.0' }, missing: ['2.1.0'] });
    expect((await hb('c', ['2.0.0', '2.1.0'])).data.lagging).toBe(false);
  });

  it('never downgrades by quorum: a lower version needs an explicit rollback', async () => {
    const down = await h.call('PUT', 'models/llama/channels/production', { json: { version: '1.9.0' } });
    expect([down.status, down.data.error.code]).toEqual([409, 'downgrade_requires_rollback']);
    h.clock.toBlock(20);
    const rb = await h.call('POST', 'models/llama/channels/production/rollback', { json: { to: '2.0.0', reason: 'bad latency' } });
    expect(rb.status, rb.text).toBe(200);
    const t = (await h.call('GET', 'models/llama/transitions')).data.items;
    expect(t.at(-1)).toMatchObject({ kind: 'rollback', state: 'scheduled', usableFromBlock: 26, basis: 'rollback', table: { stable: '2.0.0' } });
  });

  it('holds a newer change behind the pending one', async () => {
    h.clock.toBlock(22);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0' } });
    await h.services.fleet.tick();
    let t = (await h.call('GET', 'models/llama/transitions')).data.items;
    expect(t.at(-1)).toMatchObject({ state: 'pending', usableFromBlock: null }); // the rollback (block 26) is ahead of it
    // At 26 the rollback is in force; the nodes went silent at block 17 (TTL 5 blocks), so with no
    // live node the waiting change applies at the next block.
    h.clock.toBlock(26);
    await h.services.fleet.tick();
    t = (await h.call('GET', 'models/llama/transitions')).data.items;
    expect(t.at(-1)).toMatchObject({ state: 'scheduled', usableFromBlock: 27, basis: 'no-live-nodes' });
    h.clock.toBlock(40);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0', reason: 'noop' } });
    t = (await h.call('GET', 'models/llama/transitions')).data.items;
    expect(t.at(-1).state).toBe('superseded');
  });
});
