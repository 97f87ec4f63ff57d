import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { canonicalJson } from '@steward/core';
import { sha256 } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { fakeClock, startFleetHarness, type FleetHarness } from './fleet.harness.ts';

/**
 * The steady heartbeat's shortcuts (fleet.service.ts, heartbeat-answer.ts) keep its answers exact:
 * answers shared between nodes with the same report are their own but for the node id, a channel
 * change within the block is seen at once, a repeated report keeps its flags, and a liveness-only
 * heartbeat does not wait for the block's tick.
 */
describeEachDb('steady heartbeats', (db) => {
  let h: FleetHarness;
  let url: string;
  const digest: Record<string, string> = {};
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    url = db.url;
    h = await startFleetHarness(db.url, { clock: fakeClock(), fleet: { livenessTtlMs: 30_000, heartbeatBurst: 50, heartbeatPerSecond: 50 } });
    h.clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'llama' } });
    for (const v of ['1.0.0', '1.1.0']) digest[v] = sha256(canonicalJson((await h.push('llama', v, `weights ${v}`)).manifest));
    for (const n of ['a', 'b', 'c']) tok[n] = await h.nodeToken(`node-${n}`);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '1.0.0' } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const hb = async (node: string, installed: Record<string, string>) => {
    const r = await h.call('POST', `nodes/gpu-${node}/heartbeat`, {
      token: tok[node]!,
      json: { channels: [{ model: 'llama', channel: 'production' }], installed: Object.entries(installed).map(([version, dg]) => ({ model: 'llama', version, digest: dg })), appVersion: '1.0.0' },
    });
    expect(r.status, r.text).toBe(200);
    return r.data;
  };

  it('shares an answer between nodes with the same report, each under its own id', async () => {
    h.clock.toBlock(3);
    const a = await hb('a', { '1.0.0': digest['1.0.0']! });
    const b = await hb('b', { '1.0.0': digest['1.0.0']! });
    expect([a.nodeId, b.nodeId]).toEqual(['gpu-a', 'gpu-b']);
    const { nodeId: _a, ...restA } = a;
    const { nodeId: _b, ...restB } = b;
    expect(restB).toEqual(restA);
    expect(a.channels[0]).toMatchObject({ inForce: { stable: '1.0.0' }, pending: null, missing: [], lagging: false });
  });

  it('answers a repeated report with the change made earlier in the same block', async () => {
    h.clock.toBlock(4);
    const before = await hb('a', { '1.0.0': digest['1.0.0']! });
    expect(before.channels[0].pending).toBeNull();
    expect((await h.call('PUT', 'models/llama/channels/production', { json: { version: '1.1.0' } })).status).toBe(200);
    const after = await hb('a', { '1.0.0': digest['1.0.0']! });
    expect(after.currentBlock).toBe(4);
    expect(after.channels[0]).toMatchObject({ pending: { table: { stable: '1.1.0' } }, missing: ['1.1.0'] });
    expect(after.etag).not.toBe(before.etag);
  });

  it('keeps flagging an install reported again under a wrong digest', async () => {
    h.clock.toBlock(5);
    const wrong = { '1.0.0': digest['1.0.0']!, '1.1.0': 'e'.repeat(64) };
    for (let i = 0; i < 3; i++) {
      const r = await hb('c', wrong);
      expect(r.flagged).toEqual([{ model: 'llama', version: '1.1.0', digest: 'e'.repeat(64) }]);
      expect(r.channels[0].missing).toEqual(['1.1.0']);
    }
    // A node with the right bytes, same block, is not flagged by the shared answers.
    const ok = await hb('b', { '1.0.0': digest['1.0.0']!, '1.1.0': digest['1.1.0']! });
    expect(ok.flagged).toEqual([]);
    expect(ok.channels[0].missing).toEqual([]);
  });

  if (db.name === 'postgres') {
    it("answers a liveness heartbeat at a new block while the block's writes are held up", async () => {
      h.clock.toBlock(6);
      await hb('a', { '1.0.0': digest['1.0.0']! });
      await h.services.fleet.tick();
      // Another session holds the nodes table: this block's flush (in the tick) cannot write.
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table nodes in exclusive mode');
        h.clock.toBlock(7);
        const answered = hb('a', { '1.0.0': digest['1.0.0']! });
        const late = new Promise((resolve) => setTimeout(() => resolve('late'), 3000));
        const r = await Promise.race([answered, late]);
        expect(r).not.toBe('late');
        expect((r as { currentBlock: number }).currentBlock).toBe(7);
      } finally {
        await locker.query('rollback');
        await locker.end();
      }
      await h.services.fleet.flush();
    });
  }
});
