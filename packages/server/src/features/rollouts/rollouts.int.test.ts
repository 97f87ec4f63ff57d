import { afterAll, beforeAll, expect, it } from 'vitest';
import { GateFailedError } from '@steward/core';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { twoProportionZTest } from './ab-stats.ts';

const MIN = 60_000;
const later = (ms: number) => new Date(Date.now() + ms);

describeEachDb('rollouts', (db) => {
  let h: Harness;
  const ch = (m: string) => `models/${m}/channels/production`;
  const tick = (ms: number) => h.services.rollouts.controller.tick(later(ms));
  const table = async (m: string) => (await h.call('GET', ch(m))).data.table;
  const report = (model: string, version: string, requests: number, errors: number, extra: Record<string, unknown> = {}) =>
    h.call('POST', 'telemetry', { json: { windows: [{ model, channel: 'production', version, start: new Date(Date.now() - 1000).toISOString(), end: new Date(Date.now() + 1000).toISOString(), requests, errors, latencyMs: { p95: 80 }, ...extra }] } });
  /** A model with 1.0.0 live on production and 1.1.0 (with an int8 variant) pushed. */
  const setup = async (m: string) => {
    expect((await h.call('POST', 'models', { json: { name: m } })).status).toBe(201);
    expect((await h.push(m, '1.0.0', { 'model.onnx': `${m}-a` })).status).toBe(201);
    expect((await h.push(m, '1.1.0', { 'model.onnx': `${m}-b`, 'variants/int8/model.onnx': `${m}-b8` })).status).toBe(201);
    expect((await h.call('PUT', ch(m), { json: { version: '1.0.0' } })).status).toBe(200);
  };

  beforeAll(async () => {
    h = await startHarness(db.url);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('runs a canary through weight, timed pause, passing analysis and promotion, each step a channel event', async () => {
    await setup('canary');
    const analysis = { successCondition: 'errorRate < 0.05 and requests >= 100', failureCondition: 'errorRate > 0.2', interval: '1m', count: 1 };
    const start = await h.call('POST', `${ch('canary')}/rollouts`, { json: { version: '1.1.0', strategy: 'canary', steps: [{ weight: 10 }, { pause: '10m' }, { weight: 50 }, { weight: 100 }], analysis } });
    expect(start.status).toBe(201);
    expect(start.data.state).toBe('running');
    expect(start.data.steps.map((s: { description: string }) => s.description)).toEqual(['weight 10% on 1.1.0', 'analysis (1 x 1m)', 'pause 10m', 'weight 50% on 1.1.0', 'analysis (1 x 1m)', 'promote: everyone on 1.1.0']);
    expect((await table('canary')).candidate).toMatchObject({ version: '1.1.0', weightBps: 1000, rolloutId: start.data.id });

    await tick(30_000); // analysis not due yet
    expect((await h.call('GET', `${ch('canary')}/rollout`)).data.stepIndex).toBe(1);
    await report('canary', '1.1.0', 1000, 3);
    await tick(MIN + 1000); // measurement: success -> pause 10m
    let s = (await h.call('GET', `${ch('canary')}/rollout`)).data;
    expect(s.analysis.measurements).toHaveLength(0); // reset on the next step
    expect(s.steps[2].status).toBe('current');
    await tick(5 * MIN);
    expect((await h.call('GET', `${ch('canary')}/rollout`)).data.stepIndex).toBe(2);
    await tick(11 * MIN); // pause over -> weight 50 -> analysis
    expect((await table('canary')).candidate.weightBps).toBe(5000);
    await tick(13 * MIN); // analysis passes -> promote
    s = (await h.call('GET', `${ch('canary')}/rollout`)).data;
    expect(s.state).toBe('succeeded');
    expect(await table('canary')).toEqual({ stable: '1.1.0' });
    const hist = (await h.call('GET', `${ch('canary')}/history`)).data.items;
    expect(hist.filter((e: { kind: string }) => e.kind === 'rollout').length).toBeGreaterThanOrEqual(6);
    expect(hist[0].reason).toMatch(/rollout ro_.*analysis passed|promote/);
  });

  it('aborts on a failed analysis and restores the previous table exactly', async () => {
    await setup('failing');
    const before = await table('failing');
    const r = await h.call('POST', `${ch('failing')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 20 }, { analysis: { failureCondition: 'errorRate > 0.1', successCondition: 'errorRate <= 0.1', interval: '30s', count: 2 } }, { weight: 100 }] } });
    expect(r.status).toBe(201);
    await report('failing', '1.1.0', 100, 40);
    await tick(31_000);
    const s = (await h.call('GET', `${ch('failing')}/rollout`)).data;
    expect(s.state).toBe('failed');
    expect(s.message).toMatch(/candidate.errorRate=0.4/);
    expect(await table('failing')).toEqual(before);
    // The channel is free for the next rollout; resuming the finished one is refused.
    const again = await h.call('POST', `${ch('failing')}/rollout/resume`);
    expect(again.status).toBe(409);
    expect(again.data.error.code).toBe('rollout_finished');
  });

  it('pauses on an inconclusive analysis; resume goes on, and pause/promote/abort act at once', async () => {
    await setup('quiet');
    await h.call('POST', `${ch('quiet')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 5 }, { analysis: { successCondition: 'requests >= 100', interval: '1m' } }, { weight: 30 }, { pause: null }] } });
    await tick(MIN + 1000); // no telemetry at all -> inconclusive
    let s = (await h.call('GET', `${ch('quiet')}/rollout`)).data;
    expect(s.state).toBe('paused');
    expect(s.pausedReason).toMatch(/inconclusive/);
    expect((await h.call('GET', `${ch('quiet')}/history`)).data.items[0]).toMatchObject({ kind: 'rollout', author: 'rollout-controller', reason: expect.stringMatching(/paused: analysis inconclusive/) });
    s = (await h.call('POST', `${ch('quiet')}/rollout/resume`, { json: { reason: 'looked at the dashboards' } })).data;
    expect(s.state).toBe('paused'); // weight 30 then the wait-for-resume pause
    expect((await table('quiet')).candidate.weightBps).toBe(3000);
    expect((await h.call('POST', `${ch('quiet')}/rollout/promote`)).data.state).toBe('succeeded');
    expect((await table('quiet')).stable).toBe('1.1.0');
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    await setup('bad');
    const seq = (await h.call('GET', ch('bad'))).data.seq;
    const start = (body: Record<string, unknown>) => h.call('POST', `${ch('bad')}/rollouts`, { json: { version: '1.1.0', ...body } });
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ strategy: 'ab', split: [60, 50] }, 400, /sum to 100/],
      [{ version: '9.9.9', steps: [{ weight: 10 }] }, 404, /not found/],
      [{ steps: [{ weight: 10 }], variant: 'coreml' }, 400, /variant "coreml"/],
      [{ steps: [{ weight: 10 }], constraints: [{ attribute: 'region', op: 'like', value: 'eu' }] }, 400, /unknown operator "like"/],
      [{ steps: [{ weight: 10 }], analysis: { successCondition: 'accuracy > 0.9', interval: '1m' } }, 400, /metric "accuracy"/],
      [{ steps: [{ weight: 150 }] }, 400, /percentage/],
      [{ strategy: 'canary' }, 400, /needs steps/],
    ];
    for (const [body, status, msg] of cases) {
      const res = await start(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.data.error.message).toMatch(msg);
    }
    expect((await h.call('GET', `${ch('bad')}/rollouts`)).data.items).toEqual([]);
    expect((await h.call('GET', ch('bad'))).data.seq).toBe(seq);
    expect((await start({ steps: [{ weight: 10 }, { pause: null }] })).status).toBe(201);
    const dup = await start({ steps: [{ weight: 20 }] });
    expect(dup.status).toBe(409);
    expect(dup.data.error.code).toBe('rollout_active');
  });

  it('goes through channel guards: a refused first step leaves no rollout behind', async () => {
    await setup('guarded');
    h.services.channels.addGuard(async (c) => {
      if (c.model === 'guarded' && JSON.stringify(c.to).includes('1.1.0')) throw new GateFailedError('1.1.0 has no passing validation');
    });
    const res = await h.call('POST', `${ch('guarded')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 10 }] } });
    expect(res.status).toBe(422);
    expect((await h.call('GET', `${ch('guarded')}/rollouts`)).data.items).toEqual([]);
    expect(await table('guarded')).toEqual({ stable: '1.0.0' });
  });

  it('lets exactly one of two racing controllers advance a step', async () => {
    await setup('race');
    await h.call('POST', `${ch('race')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 10 }, { pause: '1m' }, { weight: 40 }, { pause: null }] } });
    const events = async () => (await h.call('GET', `${ch('race')}/history?limit=100`)).data.items.length;
    const before = await events();
    // Two controllers over one database, as two server processes would have.
    const { createController } = await import('./controller.ts');
    const { createEngine } = await import('./engine.ts');
    const { createRolloutStoreSql } = await import('./rollouts.store.sql.ts');
    const rolloutStore = createRolloutStoreSql(h.db.kysely);
    const other = createController({ rolloutStore, engine: createEngine({ rolloutStore, channels: h.services.channels, now: () => new Date() }), sources: [], clock: async () => ({ genesisMs: 0, intervalMs: 1000 }), log: () => {} });
    await Promise.all([tick(2 * MIN), other.tick(later(2 * MIN))]);
    const s = (await h.call('GET', `${ch('race')}/rollout`)).data;
    expect(s.stepIndex).toBe(3);
    expect(await events()).toBe(before + 2); // weight 40 and the pause: once, not twice
    expect((await table('race')).candidate.weightBps).toBe(4000);
  });

  it('answers an update with the row that update wrote, even when another server moves it right after', async () => {
    await setup('cas');
    const started = await h.call('POST', `${ch('cas')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 10 }, { pause: null }] } });
    const { createRolloutStoreSql } = await import('./rollouts.store.sql.ts');
    const store = createRolloutStoreSql(h.db.kysely);
    for (let round = 0; round < 20; round++) {
      const r = (await store.get(started.data.id))!;
      // The other server updates as soon as ours has committed, while ours may still be answering.
      const theirs = (async () => {
        for (let i = 0; i < 10_000; i++) if (await store.update(r.id, r.revision + 1, { message: `theirs ${round}` }, new Date().toISOString())) return;
        throw new Error('our update never landed');
      })();
      const ours = await store.update(r.id, r.revision, { message: `ours ${round}` }, new Date().toISOString());
      await theirs;
      expect(ours).toMatchObject({ revision: r.revision + 1, message: `ours ${round}` });
    }
  });

  it('resolves units with variants, download conditions, critical flag and file URLs', async () => {
    await setup('resolve');
    const r = await h.call('POST', `${ch('resolve')}/rollouts`, {
      json: { version: '1.1.0', steps: [{ weight: 50 }, { pause: null }], platformVariants: { android: 'int8' }, download: { android: { unmeteredOnly: true } }, critical: true, constraints: [{ attribute: 'region', op: 'in', value: ['eu'] }] },
    });
    expect(r.status).toBe(201);
    const seen = new Map<string, number>();
    for (let i = 0; i < 200; i++) {
      const res = await h.call('GET', `resolve?model=resolve&channel=production&unit=u${i}&platform=android&region=eu`);
      expect(res.status).toBe(200);
      const key = `${res.data.version}/${res.data.variant}/${res.data.arm}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      expect(res.data.critical).toBe(true);
      expect(res.data.download).toEqual({ unmeteredOnly: true });
      if (res.data.version === '1.1.0') expect(res.data.files.map((f: { path: string }) => f.path)).toEqual(['variants/int8/model.onnx']);
    }
    expect([...seen.keys()].sort()).toEqual(['1.0.0/default/stable', '1.1.0/int8/candidate']);
    expect(seen.get('1.1.0/int8/candidate')!).toBeGreaterThan(70);
    const outside = await h.call('GET', 'resolve?model=resolve&channel=production&unit=u1&platform=ios&region=us');
    expect(outside.data).toMatchObject({ version: '1.0.0', variant: 'default', arm: 'stable' });
    expect(outside.data.files[0].url).toBe('/api/v1/models/resolve/versions/1.0.0/files/model.onnx');
    const file = await h.call('GET', outside.data.files[0].url);
    expect(file.text).toBe('resolve-a');
    const attrs = await h.call('GET', 'resolve?model=resolve&channel=production&unit=u1&attr.tier=gold');
    expect(attrs.status).toBe(200);
    // After promotion the flag holds while its version is stable; a later manual move clears it.
    await h.call('POST', `${ch('resolve')}/rollout/promote`);
    expect((await h.call('GET', 'resolve?model=resolve&channel=production&unit=u1&platform=android')).data).toMatchObject({ version: '1.1.0', variant: 'int8', critical: true, rolloutId: null });
    await h.call('PUT', ch('resolve'), { json: { version: '1.0.0' } });
    expect((await h.call('GET', 'resolve?model=resolve&channel=production&unit=u1')).data.critical).toBe(false);
  });

  it('runs an A/B split with a z-test on the arms, and shadows a share of requests', async () => {
    await setup('ab');
    const r = await h.call('POST', `${ch('ab')}/rollouts`, { json: { version: '1.1.0', strategy: 'ab', split: [50, 50] } });
    expect(r.status).toBe(201);
    expect((await table('ab')).candidate.arms.map((a: { name: string; version: string }) => `${a.name}=${a.version}`)).toEqual(['a=1.0.0', 'b=1.1.0']);
    await report('ab', '1.0.0', 1000, 30, { counters: { conversions: 100 } });
    await report('ab', '1.1.0', 1000, 45, { counters: { conversions: 130 } });
    const s = (await h.call('GET', `${ch('ab')}/rollout`)).data;
    const err = s.ab.find((x: { metric: string }) => x.metric === 'errorRate');
    expect(err.test.pValue).toBeCloseTo(0.0774848651326447, 9); // scipy golden (see ab-stats.test.ts)
    const conv = s.ab.find((x: { metric: string }) => x.metric === 'rate.conversions');
    expect(conv.test.pValue).toBeCloseTo(twoProportionZTest({ successes: 100, trials: 1000 }, { successes: 130, trials: 1000 })!.pValue, 12);
    expect((await h.call('POST', `${ch('ab')}/rollout/abort`)).data.state).toBe('aborted');
    expect(await table('ab')).toEqual({ stable: '1.0.0' });

    const sh = await h.call('POST', `${ch('ab')}/rollouts`, { json: { version: '1.1.0', strategy: 'shadow', shadowPercent: 25 } });
    expect(sh.status).toBe(201);
    let mirrored = 0;
    for (let i = 0; i < 200; i++) {
      const res = (await h.call('GET', `resolve?model=ab&channel=production&unit=s${i}`)).data;
      expect(res.version).toBe('1.0.0');
      if (res.shadow) mirrored++;
    }
    expect(mirrored).toBeGreaterThan(25);
    expect(mirrored).toBeLessThan(80);
    await report('ab', '1.1.0', 50, 0, { shadow: { compared: 50, agreed: 48 } });
    const view = (await h.call('GET', `${ch('ab')}/rollout`)).data;
    expect(view.metrics.candidate.shadowAgreement).toBeCloseTo(0.96, 12);
  });

  it('applies a scheduled rollout at its time, flags a missed deadline, and ends when the channel is moved by hand', async () => {
    await setup('sched');
    const when = later(10 * MIN).toISOString();
    const r = await h.call('POST', `${ch('sched')}/rollouts`, { json: { version: '1.1.0', strategy: 'scheduled', at: { time: when } } });
    expect(r.data.state).toBe('scheduled');
    await tick(5 * MIN);
    expect(await table('sched')).toEqual({ stable: '1.0.0' });
    await tick(10 * MIN + 1000);
    expect(await table('sched')).toEqual({ stable: '1.1.0' });
    expect((await h.call('GET', `${ch('sched')}/rollout`)).data.state).toBe('succeeded');

    // At a block height: the persisted block clock (meta 'chain.genesis') decides when.
    const head = (await h.call('GET', 'chain/head')).data;
    const height = head.currentBlock + 600;
    const byBlock = await h.call('POST', `${ch('sched')}/rollouts`, { json: { version: '1.0.0', strategy: 'scheduled', at: { block: height } } });
    expect(byBlock.status).toBe(201);
    const blockStart = head.genesisMs + height * head.intervalMs;
    await h.services.rollouts.controller.tick(new Date(blockStart - 1));
    expect(await table('sched')).toEqual({ stable: '1.1.0' });
    await h.services.rollouts.controller.tick(new Date(blockStart));
    expect(await table('sched')).toEqual({ stable: '1.0.0' });
    expect((await h.call('GET', `${ch('sched')}/rollout`)).data.message).toMatch(new RegExp(`block ${height} reached`));

    const b = await h.call('POST', `${ch('sched')}/rollouts`, { json: { version: '1.1.0', strategy: 'scheduled', at: { block: 10 ** 12 }, deadline: '1h' } });
    expect(b.status).toBe(201);
    await tick(2 * 3_600_000);
    expect((await h.call('GET', `${ch('sched')}/rollout`)).data).toMatchObject({ state: 'scheduled', overdue: true });
    await h.call('PUT', ch('sched'), { json: { version: '1.1.0', reason: 'by hand' } });
    expect((await h.call('GET', `${ch('sched')}/rollout`)).data.state).toBe('aborted');
  });

  it('switches blue-green after its checks, immediate at once, and re-applies a step a crashed server claimed but never wrote', async () => {
    await setup('bg');
    const bg = await h.call('POST', `${ch('bg')}/rollouts`, { json: { version: '1.1.0', strategy: 'blue-green', analysis: { failureCondition: 'errorRate > 0.1', interval: '1m' } } });
    expect(bg.data.table.candidate).toMatchObject({ version: '1.1.0', weightBps: 0 }); // published, nobody routed
    await report('bg', '1.1.0', 20, 0);
    await tick(MIN + 1000);
    expect(await table('bg')).toEqual({ stable: '1.1.0' });
    const imm = await h.call('POST', `${ch('bg')}/rollouts`, { json: { version: '1.0.0', strategy: 'immediate', reason: 'back' } });
    expect(imm.data.state).toBe('succeeded');
    expect(await table('bg')).toEqual({ stable: '1.0.0' });

    // A claim (applied = 0) whose channel write never happened, 31 s old: the next tick writes it.
    const r = await h.call('POST', `${ch('bg')}/rollouts`, { json: { version: '1.1.0', steps: [{ weight: 10 }, { pause: null }] } });
    const wanted = { ...r.data.table, candidate: { ...r.data.table.candidate, weightBps: 2000 } };
    const k = h.db.kysely as any;
    await k.updateTable('rollouts').set({ applied: 0, table_json: JSON.stringify(wanted), updated_at: new Date(Date.now() - 31_000).toISOString() }).where('id', '=', r.data.id).execute();
    await tick(0);
    expect((await table('bg')).candidate.weightBps).toBe(2000);
    expect((await h.call('GET', `rollouts/${r.data.id}`)).data.applied).toBe(true);
  });

  it('refuses telemetry that does not add up', async () => {
    const bad = await h.call('POST', 'telemetry', { json: { windows: [{ model: 'x', version: '1.0.0', start: new Date(Date.now() - 1000).toISOString(), end: new Date().toISOString(), requests: 1, errors: 2 }] } });
    expect(bad.status).toBe(400);
    expect(bad.data.error.message).toMatch(/errors \(2\) exceed requests/);
    const viewer = (await h.call('POST', 'tokens', { json: { name: 'dash', role: 'viewer' } })).data.token;
    const node = (await h.call('POST', 'tokens', { json: { name: 'edge-7', role: 'node' } })).data.token;
    const w = { model: 'x', version: '1.0.0', start: new Date(Date.now() - 1000).toISOString(), end: new Date().toISOString(), requests: 1, errors: 0 };
    expect((await h.call('POST', 'telemetry', { token: viewer, json: { windows: [w] } })).status).toBe(403);
    expect((await h.call('POST', 'telemetry', { token: node, json: { windows: [w] } })).status).toBe(202);
    const paths = Object.keys((await h.call('GET', '/openapi.json')).data.paths);
    expect(paths).toEqual(expect.arrayContaining(['/resolve', '/telemetry', '/models/{name}/channels/{channel}/rollouts', '/models/{name}/channels/{channel}/rollout/abort']));
  });
});
