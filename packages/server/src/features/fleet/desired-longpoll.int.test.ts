import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '@steward/core';
import { createAgent } from '../../../../client/src/agent/index.ts';
import { sha256 } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { startServer } from '../../server.ts';
import { fakeClock, startFleetHarness, type FleetHarness } from './fleet.harness.ts';

/** GET /nodes/{id}/desired: answers at once when the node's tables differ, else holds until a change or the timeout. */
describeEachDb('long-poll for desired tables', (db) => {
  let h: FleetHarness;
  let r2: Awaited<ReturnType<FleetHarness['replica']>>;
  const digest: Record<string, string> = {};
  const tok: Record<string, string> = {};
  beforeAll(async () => {
    h = await startFleetHarness(db.url, { clock: fakeClock(), fleet: { longPollCheckMs: 150, maxLongPolls: 3, heartbeatIntervalMs: 600_000, heartbeatBurst: 100, heartbeatPerSecond: 100 } });
    r2 = await h.replica();
    h.clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'llama' } });
    for (const v of ['2.0.0', '2.1.0', '2.2.0']) digest[v] = sha256(canonicalJson((await h.push('llama', v, `weights ${v}`)).manifest));
    await h.call('POST', 'models', { json: { name: 'phi' } });
    for (const v of ['1.0.0', '1.1.0']) await h.push('phi', v, `phi ${v}`);
    await h.call('PUT', 'models/phi/channels/production', { json: { version: '1.0.0' } });
    for (const n of ['a', 'b', 'c', 'd', 'e']) tok[n] = await h.nodeToken(`node-${n}`);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.0.0' } });
    h.clock.toBlock(2);
  });
  afterAll(async () => {
    await h?.close();
  });
  const hb = (node: string, installed = ['2.0.0']) =>
    h.call('POST', `nodes/gpu-${node}/heartbeat`, {
      token: tok[node]!,
      json: { channels: [{ model: 'llama', channel: 'production' }], installed: installed.map((v) => ({ model: 'llama', version: v, digest: digest[v] })), profile: {}, appVersion: '1.0.0' },
    });
  const poll = async (node: string, query: string, o: { server?: 1 | 2; token?: string; signal?: AbortSignal } = {}): Promise<Response> =>
    (o.server === 2 ? r2.app : h.app).request(`/api/v1/nodes/gpu-${node}/desired?${query}`, { headers: { authorization: `Bearer ${o.token ?? tok[node]}` }, ...(o.signal ? { signal: o.signal } : {}) });
  const until = async (cond: () => boolean, ms = 2000) => {
    const t0 = Date.now();
    while (!cond()) {
      if (Date.now() - t0 > ms) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('answers at once without `since`, with the etag the heartbeat gave; 304 when nothing changed', async () => {
    const beat = await hb('a');
    expect(beat.status, beat.text).toBe(200);
    const r = await poll('a', '');
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ nodeId: 'gpu-a', etag: beat.data.etag, channels: [{ model: 'llama', channel: 'production', inForce: { stable: '2.0.0' }, pending: null }] });
    expect(r.headers.get('etag')).toBe(`"${beat.data.etag}"`);
    const same = await poll('a', `since=${beat.data.etag}&wait=0`);
    expect(same.status).toBe(304);
    const ifNone = await h.app.request('/api/v1/nodes/gpu-a/desired', { headers: { authorization: `Bearer ${tok.a}`, 'if-none-match': `"${beat.data.etag}"` } });
    expect(ifNone.status).toBe(304);
  });

  it('answers 304 once `wait` passes with nothing new', async () => {
    const { etag } = (await hb('a')).data;
    const t0 = Date.now();
    const r = await poll('a', `since=${etag}&wait=300ms`);
    const took = Date.now() - t0;
    expect(r.status).toBe(304);
    expect(r.headers.get('etag')).toBe(`"${etag}"`);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
    expect(h.services.fleet.heldPolls()).toBe(0);
  });

  it('a change made through the same server wakes a held request at once', async () => {
    const { etag } = (await hb('a')).data;
    const t0 = Date.now();
    const held = poll('a', `since=${etag}&wait=30s`);
    await until(() => h.services.fleet.heldPolls() === 1);
    let answeredAt = 0;
    void held.then(() => (answeredAt = Date.now()));
    expect((await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0' } })).status).toBe(200);
    const changedAt = Date.now();
    const r = await held;
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.etag).not.toBe(etag);
    expect(body.channels[0].pending).toMatchObject({ table: { stable: '2.1.0' } });
    // In-process notification: answered by the time the change's own request returns, give or take
    // one read (the cross-server check would add up to a whole check interval on top).
    expect(answeredAt - changedAt).toBeLessThan(300);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a change made through another server wakes it within the check interval', async () => {
    const { etag } = (await hb('b')).data;
    const held = poll('b', `since=${etag}&wait=30s`, { server: 2 });
    await until(() => r2.services.fleet.heldPolls() === 1);
    const tChange = Date.now();
    // gpu-a and gpu-b install 2.1.0 through server 1: quorum schedules the switch there.
    await hb('a', ['2.0.0', '2.1.0']);
    await hb('b', ['2.0.0', '2.1.0']);
    await h.services.fleet.evaluate('llama', 'production');
    const r = await held;
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.channels[0].history.at(-1)).toMatchObject({ table: { stable: '2.1.0' } });
    expect(Date.now() - tChange).toBeLessThan(150 * 4 + 1000); // longPollCheckMs 150, plus a busy machine's slack
  });

  it('refuses bad `wait` values, unknown nodes and other tokens with a 4xx, holding nothing', async () => {
    for (const w of ['abc', '61s', '-1', '1e3s', '10m', '99999999999']) {
      const r = await poll('a', `wait=${encodeURIComponent(w)}`);
      expect(r.status, w).toBe(400);
      expect((await r.json()).error.code, w).toMatch(/invalid_wait|validation_failed/);
    }
    const unknown = await poll('zz', 'wait=1s', { token: tok.c! });
    expect([unknown.status, (await unknown.json()).error.code]).toEqual([404, 'node_not_found']);
    const stolen = await poll('a', 'wait=1s', { token: tok.b! });
    expect(stolen.status).toBe(403);
    const viewer = (await h.call('POST', 'tokens', { json: { name: 'v', role: 'viewer' } })).data.token;
    expect((await poll('a', 'wait=1s', { token: viewer })).status).toBe(403);
    expect(h.services.fleet.heldPolls()).toBe(0);
  });

  it('releases a request whose client went away, replaces a node\'s older request, and bounds how many are held', async () => {
    const etags: Record<string, string> = {};
    for (const n of ['c', 'd', 'e']) etags[n] = (await hb(n)).data.etag;
    const ac = new AbortController();
    const aborted = poll('c', `since=${etags.c}&wait=30s`, { signal: ac.signal });
    await until(() => h.services.fleet.heldPolls() === 1);
    ac.abort();
    await aborted.catch(() => undefined);
    await until(() => h.services.fleet.heldPolls() === 0);

    const first = poll('c', `since=${etags.c}&wait=30s`);
    await until(() => h.services.fleet.heldPolls() === 1);
    const second = poll('c', `since=${etags.c}&wait=30s`);
    expect((await first).status).toBe(304); // released by the node's newer request
    const d = poll('d', `since=${etags.d}&wait=30s`);
    const e = poll('e', `since=${etags.e}&wait=30s`);
    await until(() => h.services.fleet.heldPolls() === 3);
    const over = await poll('a', `since=${(await hb('a', ['2.0.0', '2.1.0'])).data.etag}&wait=30s`);
    expect([over.status, (await over.json()).error.code]).toEqual([429, 'too_many_waiting']);
    // A change wakes all three.
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.2.0' } });
    expect((await Promise.all([second, d, e])).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('an agent learns of a transition through the long-poll, long before its next heartbeat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-lp-agent-'));
    const loads: string[] = [];
    const agent = createAgent({
      url: 'http://steward.test',
      token: tok.e!,
      nodeId: 'gpu-e',
      channels: [{ model: 'phi', channel: 'production' }],
      cacheDir: join(dir, 'cache'),
      home: join(dir, 'home'),
      loader: { load: async ({ version }) => (loads.push(version), { version }), run: async () => 'ok' },
      now: () => h.clock.now().getTime(),
      fetch: async (u, init) => h.app.request(u, init),
      onError: () => undefined,
    });
    try {
      await agent.start(); // heartbeat interval 600 s (server option): only the long-poll can tell it in time
      await agent.settled();
      await until(() => h.services.fleet.heldPolls() >= 1);
      expect(loads).toEqual(['1.0.0']);
      const t0 = Date.now();
      await h.call('PUT', 'models/phi/channels/production', { json: { version: '1.1.0' } });
      await until(() => agent.status().channels[0]!.pending?.stable === '1.1.0', 3000);
      const learned = Date.now() - t0;
      // Then it fetches, verifies and loads 1.1.0 and reports it: the only live node, so quorum
      // schedules the switch, and the long-poll brings the scheduled table too.
      await until(() => agent.status().channels[0]!.history.some((x) => x.table.stable === '1.1.0'), 5000);
      const scheduled = Date.now() - t0;
      expect(loads).toEqual(['1.0.0', '1.1.0']);
      expect(learned).toBeLessThan(1000);
      expect(scheduled).toBeLessThan(3000); // the heartbeat interval is 600 s
      expect((await h.call('GET', 'models/phi/transitions?channel=production')).data.items.at(-1)).toMatchObject({ state: 'scheduled', basis: 'quorum' });
    } finally {
      await agent.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await until(() => h.services.fleet.heldPolls() === 0);
  });

  it('closing the fleet releases every held request', async () => {
    // Server 2's own view (its answer cache may trail changes made through server 1 by up to a block).
    const { etag } = await (await poll('d', '', { server: 2 })).json();
    const held = poll('d', `since=${etag}&wait=30s`, { server: 2 });
    await until(() => r2.services.fleet.heldPolls() === 1);
    const t0 = Date.now();
    await r2.services.fleet.stop();
    expect((await held).status).toBe(304);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await poll('d', `since=${etag}&wait=30s`, { server: 2 })).status).toBe(304); // after close: no hold
  });
});

describe('server close with held long-polls', () => {
  it('answers them and does not hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'steward-lp-close-'));
    const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true }, {});
    try {
      const api = (method: string, path: string, body?: unknown, token = server.adminToken) =>
        fetch(`${server.url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      await api('POST', 'models', { name: 'm' });
      const token = (await (await api('POST', 'tokens', { name: 'n', role: 'node' })).json()).token as string;
      const beat = await (await api('POST', 'nodes/n1/heartbeat', { channels: [{ model: 'm', channel: 'prod' }], installed: [] }, token)).json();
      const held = fetch(`${server.url}/api/v1/nodes/n1/desired?since=${beat.etag}&wait=60s`, { headers: { authorization: `Bearer ${token}` } });
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      await server.close();
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await held).status).toBe(304);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
