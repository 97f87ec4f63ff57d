import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The agent is not exported from @steward/client's index yet; the test reaches it by path.
import { createAgent, type Agent } from '../../../../client/src/agent/index.ts';
import type { ModelLoader } from '../../../../client/src/agent/types.ts';
import { fakeClock, startFleetHarness, type FleetHarness } from './fleet.harness.ts';

/** A loader whose runs finish only when the test says so, so a request can stay "computing". */
function gatedLoader() {
  const loads: string[] = [];
  const unloads: string[] = [];
  const gates: (() => void)[] = [];
  const loader: ModelLoader<{ version: string }, string, string> = {
    async load({ version, files }) {
      expect(new TextDecoder().decode(await files.read('model.onnx'))).toBe(`llama ${version}`);
      loads.push(version);
      return { version };
    },
    async run(h, input) {
      await new Promise<void>((r) => gates.push(r));
      return `${input} served by ${h.version}`;
    },
    unload: (h) => void unloads.push(h.version),
  };
  return { loader, loads, unloads, release: () => gates.splice(0).forEach((g) => g()) };
}

/**
 * The seed example, end to end through the server with an injected clock: "a request is
 * added at block 15; at block 16 the channel switches from llama-2.0.0 to llama-2.1.0, keeping
 * 2.0.0 as the old model; the request, still computing at block 18, is served by 2.0.0; new
 * requests at block 20 use 2.1.0."
 */
describe('seed example through the server with real agents', () => {
  let h: FleetHarness;
  let dir: string;
  const agents: Agent<{ version: string }, string, string>[] = [];
  const gated = [gatedLoader(), gatedLoader(), gatedLoader()];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-seed-'));
    h = await startFleetHarness(`sqlite:${join(dir, 'db.sqlite')}`, { clock: fakeClock() });
    h.clock.toBlock(1);
    await h.call('POST', 'models', { json: { name: 'llama' } });
    await h.push('llama', '2.0.0', 'llama 2.0.0');
    await h.push('llama', '2.1.0', 'llama 2.1.0');
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.0.0' } });
    for (const [i, n] of ['a', 'b', 'c'].entries()) {
      agents.push(
        createAgent({
          url: 'http://steward.test',
          token: await h.nodeToken(`gpu-${n}`),
          nodeId: `gpu-${n}`,
          channels: [{ model: 'llama', channel: 'production' }],
          profile: { platform: 'linux', arch: 'x64' },
          cacheDir: join(dir, `cache-${n}`),
          home: join(dir, `home-${n}`),
          loader: gated[i]!.loader,
          drainBlocks: 2,
          now: () => h.clock.now().getTime(),
          fetch: async (url, init) => h.app.request(url, init),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const a of agents) await a.close();
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the seed example', async () => {
    h.clock.toBlock(3);
    for (const a of agents) await a.sync();
    expect(agents[0]!.status().loaded).toEqual(['llama@2.0.0']);

    h.clock.toBlock(5);
    await h.call('PUT', 'models/llama/channels/production', { json: { version: '2.1.0' } });
    // Block 6: two of three agents fetch, verify and load 2.1.0 and report it → switch at 6 + 10.
    h.clock.toBlock(6);
    await agents[0]!.sync();
    await agents[1]!.sync();
    const t = (await h.call('GET', 'models/llama/transitions?channel=production')).data.items.at(-1);
    expect(t).toMatchObject({ state: 'scheduled', usableFromBlock: 16, previousTable: { stable: '2.0.0' } });
    expect(agents[0]!.status().loaded).toEqual(['llama@2.0.0', 'llama@2.1.0']);

    h.clock.toBlock(15);
    const a = agents[0]!;
    await a.sync(); // agents heartbeat every few blocks; this one's latest answer is from block 15
    const old = a.runTraced('llama', 'request-15', { unit: 'u1' });
    h.clock.toBlock(16);
    await a.sync();
    h.clock.toBlock(18);
    await a.sync();
    // Switched, but 2.0.0 stays loaded: the block-15 request is still computing.
    expect(a.status().loaded).toEqual(['llama@2.0.0', 'llama@2.1.0']);
    gated[0]!.release();
    expect(await old).toEqual({ output: 'request-15 served by 2.0.0', version: '2.0.0', block: 15 });

    h.clock.toBlock(20);
    const fresh = a.runTraced('llama', 'request-20', { unit: 'u1' });
    gated[0]!.release();
    await new Promise((r) => setTimeout(r, 5));
    gated[0]!.release();
    expect(await fresh).toMatchObject({ output: 'request-20 served by 2.1.0', version: '2.1.0', block: 20 });
    // Nothing from before the switch is running and drainBlocks (2) passed: 2.0.0 is unloaded.
    await a.gc();
    expect(a.status().loaded).toEqual(['llama@2.1.0']);
    expect(gated[0]!.unloads).toEqual(['2.0.0']);
  });

  it('a lagging agent refuses to guess, catches up, and every node unloads the drained table', async () => {
    const c = agents[2]!;
    expect(c.status().loaded).toEqual(['llama@2.0.0']);
    h.clock.toBlock(21);
    // Its last answer is from block 3: past activationDelay it refuses to guess the table in force.
    expect(() => c.submit('llama', { unit: 'u1' })).toThrow(/agent_stale|no heartbeat answer/);
    const ans = await c.sync();
    expect(ans.caughtUp).toBe(true); // it lagged, fetched 2.1.0 and reported it
    expect(ans.lagging).toBe(false);
    expect(c.status().loaded).toContain('llama@2.1.0');
    expect(c.status().lagging).toBe(false);
    const r21 = c.runTraced('llama', 'request-21', { unit: 'u9' });
    await new Promise((r) => setTimeout(r, 5));
    gated[2]!.release();
    expect(await r21).toMatchObject({ version: '2.1.0', block: 21 });
    for (const a of agents) await a.sync();
    for (const a of agents) await a.sync(); // the second heartbeat reports what the first one's gc unloaded
    const nodes = (await h.call('GET', 'nodes?model=llama')).data.items;
    expect(nodes.map((n: { installed: { version: string }[] }) => n.installed.map((i) => i.version))).toEqual([['2.1.0'], ['2.1.0'], ['2.1.0']]);
    expect(gated.map((g) => g.unloads)).toEqual([['2.0.0'], ['2.0.0'], ['2.0.0']]);
  });
});
