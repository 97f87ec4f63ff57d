/**
 * The ingest worker (the second core) against the main-thread path: random batches with
 * duplicates, bad rows, unknown versions, type clashes, nulls and labels go to two servers, one
 * with the worker; every ingest answer, every stored window, drift and performance must agree
 * (exactly for counts and histograms, to rounding for moments and score sums; reservoirs as
 * samples of the accepted rows). Also: the worker is really used for large batches, a crash at
 * any point loses nothing, and an idle worker does not keep the process alive.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, type FeatureSketch, type WindowSummary } from '@steward/core';
import { resolveConfig } from '../../config.ts';
import { startHarness, type Harness } from '../../testing/api-harness.ts';
import type { IngestResult } from './monitoring.service.ts';

const T0 = Date.now() - 10 * 60_000;
let scenario = 0;
/** Every request id generated so far (a superset of the accepted ones is enough for the reservoir check). */
const accepted = new Set<string>();

/**
 * Random batches for model `model` (versions 1.0.0 and 2.0.0 exist; 9.9.9 does not). With
 * `nulls`, features are sometimes null (their first ones in a slice are skipped, then added as missing);
 * with `dirty`, predictions are sometimes duplicates, of unknown versions, too new or of the wrong type.
 */
function batches(seed: number, model: string, count: number, size: number, nulls = true, dirty = true): string[] {
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)] as T;
  const ids: string[] = [];
  const out: string[] = [];
  for (let b = 0; b < count; b++) {
    const lines: string[] = [];
    for (let i = 0; i < size; i++) {
      const u = r.next();
      if (u < 0.03) lines.push(pick(['{not json', '', '   ', '{"model": 1}', '[1,2]']));
      else if (u < 0.1 && ids.length > 0) {
        lines.push(JSON.stringify({ type: 'feedback', model, requestId: r.next() < 0.9 ? pick(ids) : 'nobody', label: r.next() < 0.5 ? 1 : 0, time: new Date(T0 + 3 * 60_000).toISOString() }));
      } else {
        const dup = dirty && ids.length > 0 && r.next() < 0.05;
        const id = dup ? pick(ids) : `${model}-${b}-${i}`;
        if (!dup) {
          ids.push(id);
          accepted.add(id);
        }
        const features: Record<string, unknown> = { x: Math.round(r.next() * 1e4) / 100, y: nulls && r.next() < 0.1 ? null : -r.next() * 50, c: pick(['a', 'b', 'c']) };
        if (dirty && r.next() < 0.02) features.x = 'oops'; // clashes with the window's numeric x
        if (r.next() < 0.3) features.z = nulls && r.next() < 0.5 ? null : pick(['p', 'q']); // nulls before and after its first value
        const ev: Record<string, unknown> = {
          model, version: dirty && r.next() < 0.04 ? '9.9.9' : r.next() < 0.3 ? '2.0.0' : '1.0.0', requestId: id,
          time: new Date(T0 + Math.floor(r.next() * 4 * 60_000)).toISOString(), features,
          score: Math.round(r.next() * 1000) / 1000, latencyMs: r.next() * 40, groups: { sex: pick(['F', 'M']) },
        };
        if (dirty && r.next() < 0.02) ev.time = new Date(Date.now() + 86_400_000).toISOString(); // bad_time
        if (dirty && r.next() < 0.02) delete ev.requestId; // missing_field
        if (r.next() < 0.1) ev.prediction = pick([0, 1, 'yes']);
        lines.push(JSON.stringify(ev));
      }
    }
    out.push(lines.join('\n'));
  }
  return out;
}

const close = (a: number, b: number, what: string) => {
  if (!(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)))) throw new Error(`${what}: ${a} vs ${b}`);
};

/** Same summary: exact counts and histograms, moments and sums to rounding, reservoirs as samples. */
function expectSameSummary(a: WindowSummary, b: WindowSummary, accepted: Set<string>, where: string): void {
  const { latencyMoments: la, scores: sa, reservoir: ra, features: fa, labelled: lba, ...restA } = a;
  const { latencyMoments: lb, scores: sb, reservoir: rb, features: fb, labelled: lbb, ...restB } = b;
  expect(restA, where).toEqual(restB);
  expect(sa.counts, where).toEqual(sb.counts);
  sa.sums.forEach((s, i) => close(s, sb.sums[i] as number, `${where} score sum ${i}`));
  for (const k of ['count', 'missing', 'min', 'max'] as const) expect(la[k], where).toBe(lb[k]);
  close(la.mean, lb.mean, `${where} latency mean`);
  close(la.m2, lb.m2, `${where} latency m2`);
  expect({ ...lba, logLossSum: 0 }, where).toEqual({ ...lbb, logLossSum: 0 });
  close(lba.logLossSum, lbb.logLossSum, `${where} log loss`);
  expect(Object.keys(fa).sort(), where).toEqual(Object.keys(fb).sort());
  for (const [name, x] of Object.entries(fa)) {
    const y = fb[name] as FeatureSketch;
    expect(x.kind, `${where} ${name}`).toBe(y.kind);
    if (x.kind === 'numeric' && y.kind === 'numeric') {
      expect({ ...x.hist }, `${where} ${name}`).toEqual({ ...y.hist });
      for (const k of ['count', 'missing', 'min', 'max'] as const) expect(x.moments[k], `${where} ${name} ${k}`).toBe(y.moments[k]);
      close(x.moments.mean, y.moments.mean, `${where} ${name} mean`);
      close(x.moments.m2, y.moments.m2, `${where} ${name} m2`);
    } else expect(x, `${where} ${name}`).toEqual(y);
  }
  expect(ra.seen, where).toBe(rb.seen);
  expect(ra.items.length, where).toBe(rb.items.length);
  for (const row of [...ra.items, ...rb.items]) expect(accepted.has(row.requestId), `${where}: reservoir row ${row.requestId} was not accepted`).toBe(true);
}

describe('ingest worker', () => {
  let main: Harness;
  let offloaded: Harness;
  const both = () => [main, offloaded] as const;
  const reference = ['x,y,c,z,label,score', ...Array.from({ length: 200 }, (_, i) => `${(i * 7) % 100},${-(i % 50)},${'abc'[i % 3]},${'pq'[i % 2]},${i % 2},${(i % 10) / 10}`)].join('\n');

  async function newModel(): Promise<string> {
    const model = `m${++scenario}`;
    for (const h of both()) {
      await h.call('POST', 'models', { json: { name: model } });
      for (const v of ['1.0.0', '2.0.0']) expect((await h.push(model, v, { 'model.txt': v })).status).toBe(201);
      await h.services.monitoring.service.setReferenceCsv(model, '1.0.0', reference, { label: 'label', score: 'score' }, 'test');
    }
    return model;
  }

  /** Ingests the same batches into both servers and compares everything a user can read. */
  async function compare(model: string, bs: string[]): Promise<{ results: IngestResult[] }> {
    const results: IngestResult[] = [];
    for (const b of bs) {
      const [x, y] = [await main.services.monitoring.service.ingest(b), await offloaded.services.monitoring.service.ingest(b)];
      expect(y).toEqual(x);
      results.push(x);
    }
    const range = { since: new Date(T0 - 60_000), until: new Date(T0 + 10 * 60_000) };
    for (const version of ['1.0.0', '2.0.0']) {
      for (const g of ['1m', '1h'] as const) {
        const [wa, wb] = [await main.services.monitoring.service.windows(model, version, g, range), await offloaded.services.monitoring.service.windows(model, version, g, range)];
        expect(wb.map((w) => w.start)).toEqual(wa.map((w) => w.start));
        wa.forEach((w, i) => expectSameSummary(w.summary, (wb[i] as typeof w).summary, accepted, `${model}@${version} ${g} ${w.start}`));
      }
    }
    const [da, db] = [await main.services.monitoring.service.drift(model, '1.0.0', range), await offloaded.services.monitoring.service.drift(model, '1.0.0', range)];
    expect(db.rows).toBe(da.rows);
    expect(JSON.parse(JSON.stringify(db), (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v))).toEqual(
      JSON.parse(JSON.stringify(da), (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)),
    );
    const [pa, pb] = [await main.services.monitoring.service.performance(model, '1.0.0', range), await offloaded.services.monitoring.service.performance(model, '1.0.0', range)];
    expect(pb.realized).toEqual(pa.realized);
    for (const k of ['accuracy', 'f1', 'rocAuc'] as const) close(pb.estimated[k] ?? 0, pa.estimated[k] ?? 0, `cbpe ${k}`);
    expect(offloaded.services.monitoring.service.pending).toEqual(main.services.monitoring.service.pending);
    return { results };
  }

  beforeAll(async () => {
    main = await startHarness(`sqlite:${join(mkdtempSync(join(tmpdir(), 'steward-offload-a-')), 'a.db')}`);
    offloaded = await startHarness(`sqlite:${join(mkdtempSync(join(tmpdir(), 'steward-offload-b-')), 'b.db')}`);
    const m = offloaded.services.monitoring.service;
    m.config.ingestWorker = true;
    m.config.workerMinLines = 100;
    await m.ingestWorkerReady();
  }, 60_000);
  afterAll(async () => {
    for (const h of [main, offloaded]) {
      await h?.services.monitoring.service.close();
      await h?.close();
    }
  });

  it('gives the same answers, windows, drift and performance as the main thread on random batches', async () => {
    const stats = offloaded.services.monitoring.service.ingestWorker!.stats;
    const start = { ...stats };
    for (const [seed, nulls, dirty] of [[1, true, true], [2, false, true], [3, false, false], [4, true, false]] as const) {
      const model = await newModel();
      const before = stats.slices;
      const phase2Before = stats.phase2;
      const { results } = await compare(model, batches(seed, model, 4, 300, nulls, dirty));
      expect(stats.slices - before).toBe(4);
      // Clean rows need no phase 2, nulls or not (skipped nulls are added as missing instead).
      if (!dirty) expect(stats.phase2).toBe(phase2Before);
      if (!dirty) continue;
      // Not a vacuous pass: the batches held every kind of rejection, and the worker parsed slices of them.
      const reasons = results.reduce<Record<string, number>>((acc, r) => {
        for (const [k, v] of Object.entries(r.reasons)) acc[k] = (acc[k] ?? 0) + (v as number);
        return acc;
      }, {});
      for (const code of ['duplicate_request', 'unknown_version', 'invalid_json', 'feature_type_changed', 'bad_time', 'missing_field']) expect(reasons[code], code).toBeGreaterThan(0);
    }
    // Both ways of summarising a slice were taken: its speculative summaries, and phase 2.
    const phase2 = stats.phase2 - start.phase2;
    expect(phase2).toBeGreaterThan(0);
    expect(stats.slices - start.slices - phase2).toBeGreaterThan(0);
  }, 120_000);

  it('summarises on the worker (phase 2) when its speculative summaries do not hold', async () => {
    const model = await newModel();
    const stats = offloaded.services.monitoring.service.ingestWorker!.stats;
    const phase2 = stats.phase2;
    // The whole batch repeated: the second copy's tail is all duplicates the worker cannot know of.
    const [b] = batches(7, model, 1, 300);
    await compare(model, [b!, b!]);
    expect(stats.phase2).toBeGreaterThan(phase2);
  }, 60_000);

  it('uses the worker for large batches only', async () => {
    const model = await newModel();
    const stats = offloaded.services.monitoring.service.ingestWorker!.stats;
    const before = { ...stats };
    await compare(model, batches(11, model, 1, 50)); // under workerMinLines
    expect(stats.slices).toBe(before.slices);
    await compare(model, batches(12, model, 1, 400));
    expect(stats.slices).toBe(before.slices + 1);
    expect(stats.events).toBeGreaterThan(before.events + 100);
  }, 60_000);

  it('loses nothing when the worker dies while parsing, and starts a new one for the next large batch', async () => {
    const model = await newModel();
    const m = offloaded.services.monitoring.service;
    const offload = m.ingestWorker!;
    const [b1, b2, b3] = batches(21, model, 3, 300);
    const x1 = await main.services.monitoring.service.ingest(b1!);
    const pending = m.ingest(b1!);
    await offload.kill(); // the parse request is in flight or not yet answered
    expect(await pending).toEqual(x1);
    expect(offload.running).toBe(false);
    await offload.ready(); // a new worker
    expect(offload.crashes).toBeGreaterThanOrEqual(1);
    for (const b of [b2!, b3!]) expect(await m.ingest(b)).toEqual(await main.services.monitoring.service.ingest(b));
    await compare(model, []);
  }, 60_000);

  it('loses nothing when the worker dies holding summaries not yet collected', async () => {
    const model = await newModel();
    const m = offloaded.services.monitoring.service;
    const offload = m.ingestWorker!;
    await offload.ready();
    const redone = offload.stats.redone;
    const bs = batches(31, model, 3, 300);
    for (const b of bs) expect(await m.ingest(b)).toEqual(await main.services.monitoring.service.ingest(b));
    await offload.kill(); // its windows are gone: the next collect summarises the retained slices here
    await compare(model, []);
    expect(offload.stats.redone - redone).toBe(3);
    await offload.ready();
  }, 60_000);

  it('is off unless configured, and STEWARD_INGEST_WORKER turns it on', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'steward-cfg-'));
    expect(resolveConfig({ dataDir }, {}).ingestWorker).toBe(false);
    expect(resolveConfig({ dataDir }, { STEWARD_INGEST_WORKER: '1' }).ingestWorker).toBe(true);
    expect(resolveConfig({ dataDir }, { STEWARD_INGEST_WORKER: 'off' }).ingestWorker).toBe(false);
  });

  it('does not keep an idle process alive', () => {
    // A process that ingests a large batch through the worker and never closes the service must still exit.
    const script = `
      import { startHarness } from './packages/server/src/testing/api-harness.ts';
      import { join } from 'node:path';
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      const h = await startHarness('sqlite:' + join(mkdtempSync(join(tmpdir(), 'steward-idle-')), 'x.db'));
      await h.call('POST', 'models', { json: { name: 'm' } });
      await h.push('m', '1.0.0', { 'a.txt': 'a' });
      const m = h.services.monitoring.service;
      m.config.ingestWorker = true;
      m.config.workerMinLines = 10;
      const o = await m.ingestWorkerReady();
      const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ model: 'm', version: '1.0.0', requestId: 'r' + i, features: { x: i } }));
      const r = await m.ingest(lines.join('\\n'));
      console.log(JSON.stringify({ accepted: r.accepted, slices: o.stats.slices }));
    `;
    const t = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../../../../..'), encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).not.toMatch(/Error/);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ accepted: 50, slices: 1 });
    expect(run.status).toBe(0);
    expect(Date.now() - t).toBeLessThan(60_000);
  }, 70_000);
});
