import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, tableAt } from '@steward/core';
import { createAgent, type Agent } from '../../../../client/src/agent/index.ts';
import type { Installer, ModelLoader } from '../../../../client/src/agent/types.ts';
import { sha256 } from '../../testing/api-harness.ts';
import { fakeClock, startFleetHarness } from './fleet.harness.ts';

const LONG = process.env.STEWARD_LONG === '1';
const N = LONG ? 1000 : 200;
const ACTIVATION = 10;

/** Deterministic PRNG (mulberry32) so a failure replays. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * ~200 in-process agents (the real createAgent, syncing through the real app) go through a
 * channel change, a fleet transition and a rollback while nodes join late, lag and leave; 5% report
 * tampered digests. Installs and model runs are simulated; heartbeats, quorum and serving are real.
 */
describe(`fleet simulation with ${N} agents`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'steward-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves every request with the table in force at its block, switches on quorum, drains, catches up', async () => {
    const clock = fakeClock();
    const h = await startFleetHarness(`sqlite:${join(dir, 'db.sqlite')}`, { clock, fleet: { livenessTtlMs: 6000, heartbeatBurst: 1e6, heartbeatPerSecond: 1e6, rollbackDelay: 6, activationDelay: ACTIVATION } });
    const random = rng(42);
    const waiters: { block: number; resolve: () => void }[] = [];
    const until = (block: number) => (clock.block() >= block ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ block, resolve })));
    const wake = () => {
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.block <= clock.block()) waiters.splice(i, 1)[0]!.resolve();
    };

    clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'sim' } });
    const digests: Record<string, string> = {};
    for (const v of ['1.0.0', '1.1.0']) digests[v] = sha256(canonicalJson((await h.push('sim', v, `sim ${v}`)).manifest));
    await h.call('PUT', 'models/sim/channels/prod', { json: { version: '1.0.0' } });

    type Kind = 'honest' | 'tampered' | 'slow';
    const kindOf = (i: number): Kind => (i % 20 === 7 ? 'tampered' : i % 10 === 3 ? 'slow' : 'honest');
    const installer = (kind: Kind): Installer => ({
      async install(model, version) {
        if (kind === 'slow') await until(clock.block() + 6); // a slow link: lags past the switch
        const digest = kind === 'tampered' ? sha256(`tampered ${version}`) : digests[version]!;
        return { model, version, digest, files: { paths: [], read: async () => new Uint8Array() } };
      },
    });
    const loader: ModelLoader<{ version: string }, { until: number }, string> = {
      load: async ({ version }) => ({ version }),
      run: async (handle, input) => {
        await until(input.until);
        return handle.version;
      },
    };
    const token = await h.nodeToken('sim-nodes');
    const agents: { agent: Agent<{ version: string }, { until: number }, string>; kind: Kind; period: number; active: boolean; joined: boolean }[] = [];
    for (let i = 0; i < N; i++) {
      const kind = kindOf(i);
      agents.push({
        kind,
        period: 3 + (i % 3),
        active: false,
        joined: false,
        agent: createAgent({ url: 'http://steward.test', token, nodeId: `n${i}`, channels: [{ model: 'sim', channel: 'prod' }], installer: installer(kind), loader, drainBlocks: 2, now: () => clock.now().getTime(), fetch: async (u, init) => h.app.request(u, init), onError: () => undefined }),
      });
    }
    const lateFrom = Math.floor(N * 0.8);
    const leavers = new Set(Array.from({ length: Math.floor(N / 10) }, (_, k) => k * 7).filter((i) => i < lateFrom));
    const requests: Promise<{ version: string; block: number; output: string }>[] = [];
    /** One heartbeat round as the agents' own loop does it: installs go on in the background. */
    const syncAll = async (list: typeof agents) => {
      for (let i = 0; i < list.length; i += 50) await Promise.all(list.slice(i, i + 50).map((a) => a.agent.sync({ wait: false }).catch(() => undefined)));
      // Let fast installs finish and report within this block (slow ones keep going across blocks).
      await Promise.all(list.filter((a) => a.kind !== 'slow').map((a) => a.agent.settled()));
    };
    let decided: { block: number; usableFromBlock: number; ready: number; live: number; flaggedTampered: number } | undefined;
    let drained = false;

    for (let b = 2; b <= 42; b++) {
      clock.toBlock(b);
      wake();
      await new Promise((r) => setImmediate(r));
      if (b === 3) for (const a of agents.slice(0, lateFrom)) a.active = a.joined = true;
      if (b === 20) for (const a of agents.slice(lateFrom)) a.active = a.joined = true;
      if (b === 12) for (const i of leavers) agents[i]!.active = false;
      if (b === 5) expect((await h.call('PUT', 'models/sim/channels/prod', { json: { version: '1.1.0' } })).status).toBe(200);
      if (b === 30) expect((await h.call('POST', 'models/sim/channels/prod/rollback', { json: { to: '1.0.0', reason: 'sim' } })).status).toBe(200);
      await syncAll(agents.filter((a, i) => a.active && (b + i) % a.period === 0 || (a.active && b === 3) || (a.active && b === 20 && i >= lateFrom)));
      if (!decided) {
        const t = (await h.call('GET', 'models/sim/transitions?channel=prod')).data.items.find((x: { table: { stable: string }; state: string }) => x.table.stable === '1.1.0' && x.state === 'scheduled');
        if (t) {
          const nodes = (await h.call('GET', 'nodes?model=sim&limit=10000')).data.items as { id: string; live: boolean; installed: { version: string; digest: string }[]; flagged: unknown[] }[];
          const live = nodes.filter((n) => n.live);
          const ready = live.filter((n) => n.installed.some((x) => x.version === '1.1.0' && x.digest === digests['1.1.0']) && n.flagged.length === 0);
          const flaggedTampered = nodes.filter((n) => kindOf(Number(n.id.slice(1))) === 'tampered' && n.flagged.length > 0).length;
          decided = { block: b, usableFromBlock: t.usableFromBlock, ready: ready.length, live: live.length, flaggedTampered };
        }
      }
      for (const [i, a] of agents.entries()) {
        if (!a.active || random() > 0.1) continue;
        const p = a.agent.runTraced('sim', { until: b + Math.floor(random() * 4) }, { unit: `u${i}` });
        requests.push(p);
        p.catch(() => undefined);
      }
      if (b === 28) {
        // 1.1.0 has been in force since ~16; every request from before the switch has finished.
        const live = agents.filter((a) => a.active);
        await syncAll(live);
        await syncAll(live);
        const loaded = live.map((a) => a.agent.status().loaded.join(','));
        expect(new Set(loaded)).toEqual(new Set(['sim@1.1.0'])); // old unloaded, slow nodes caught up
        drained = true;
      }
    }
    clock.toBlock(50);
    wake();
    const served = await Promise.all(requests);
    const active = agents.filter((a) => a.active);
    await syncAll(active);
    await syncAll(active);

    // Quorum: scheduled only with ≥ 2/3 of live nodes honestly ready; tampered nodes flagged, never counted.
    expect(decided).toBeDefined();
    expect(decided!.ready).toBeGreaterThanOrEqual(Math.ceil((2 / 3) * decided!.live - 1e-9));
    expect(decided!.flaggedTampered).toBeGreaterThan(0);
    expect(decided!.usableFromBlock - decided!.block).toBeLessThanOrEqual(ACTIVATION + 1);
    expect(drained).toBe(true);

    // Every request was served by the table in force at the block it was submitted in.
    const rows = (await h.call('GET', 'models/sim/transitions')).data.items as { state: string; usableFromBlock: number; table: { stable: string } }[];
    const history = rows.filter((r) => r.state === 'scheduled').sort((a, b) => a.usableFromBlock - b.usableFromBlock);
    expect(history.map((r) => r.table.stable)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    const wrong = served.filter((r) => r.output !== r.version || tableAt(history, r.block)?.stable !== r.version);
    expect(wrong).toEqual([]);
    expect(new Set(served.map((r) => r.version))).toEqual(new Set(['1.0.0', '1.1.0']));
    expect(served.length).toBeGreaterThan(N * 3);
    // After the rollback every live node serves 1.0.0 only.
    expect(new Set(active.map((a) => a.agent.status().loaded.join(',')))).toEqual(new Set(['sim@1.0.0']));
    const nodes = (await h.call('GET', 'nodes?model=sim&limit=10000')).data.items as { id: string; live: boolean }[];
    expect(nodes.filter((n) => n.live).length).toBe(active.length);
    for (const a of agents) await a.agent.close();
    await h.close();
  }, LONG ? 600_000 : 90_000);
});
