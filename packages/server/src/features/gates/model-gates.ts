import { fairnessMetrics } from '@steward/core';
import { evaluatePredictions, LOWER_IS_BETTER } from '../evaluation/evaluate-metrics.ts';
import { onnxFileOf } from '../evaluation/evaluation.service.ts';
import { correctness } from '../evaluation/predictions.ts';
import type { GateSpec } from '../policy/policy.types.ts';
import { errored, fail, pass, type GateContext, type Verdict } from './gate-types.ts';
import { mcnemar } from './mcnemar.ts';
import { pairedBootstrap } from './paired-bootstrap.ts';
import { rowMetric } from './row-metrics.ts';

type Spec<T extends GateSpec['type']> = Extract<GateSpec, { type: T }>;
const round = (x: number) => Number(x.toPrecision(6));

/** A recorded metric (from the version) or one evaluated on a dataset, against min/max. */
export async function metricGate(ctx: GateContext, spec: Spec<'metric'>): Promise<Verdict> {
  let value: number | undefined;
  let source: string;
  if (spec.dataset) {
    const { preds, dataset, table } = await ctx.evaluations.predictions(ctx.version, spec.dataset);
    value = evaluatePredictions(preds, dataset.schema, table).metrics[spec.metric];
    source = `evaluated on ${spec.dataset}`;
  } else {
    value = ctx.version.metrics[spec.metric];
    source = 'recorded';
  }
  const threshold = { ...(spec.min !== undefined ? { min: spec.min } : {}), ...(spec.max !== undefined ? { max: spec.max } : {}) };
  if (value === undefined || Number.isNaN(value)) return errored(`metric "${spec.metric}" is not available (${source})`, { source });
  const ok = (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
  const msg = `${spec.metric} = ${round(value)} (${source})`;
  return ok ? pass(msg, value, threshold, { source }) : fail(`${msg} outside ${JSON.stringify(threshold)}`, value, threshold, { source });
}

/**
 * No regression against the channel's current version on the same dataset. Fails only when the
 * observed drop is larger than `tolerance` AND statistically significant at `alpha`: McNemar's
 * test for accuracy, a seeded paired bootstrap interval (upper bound below 0) for other metrics.
 */
export async function regressionGate(ctx: GateContext, spec: Spec<'regression'>): Promise<Verdict> {
  if (!ctx.baseline) return pass(`channel ${ctx.channel} has no current version: nothing to regress against`);
  const cand = await ctx.evaluations.predictions(ctx.version, spec.dataset);
  const base = await ctx.evaluations.predictions(ctx.baseline, spec.dataset);
  const sign = LOWER_IS_BETTER.has(spec.metric) ? -1 : 1;
  const threshold = { tolerance: spec.tolerance, alpha: spec.alpha };
  const evidence: Record<string, unknown> = { baseline: ctx.baseline.version, dataset: spec.dataset, rows: cand.preds.n };
  if (spec.metric === 'accuracy' && cand.preds.task !== 'regression') {
    const a = correctness(base.preds);
    const b = correctness(cand.preds);
    const accA = a.reduce((s, x) => s + x, 0) / a.length;
    const accB = b.reduce((s, x) => s + x, 0) / b.length;
    const t = mcnemar(a, b);
    const delta = accB - accA;
    Object.assign(evidence, { test: 'mcnemar', baselineValue: accA, candidateValue: accB, b: t.b, c: t.c, pValue: t.pValue, exact: t.exact });
    const regressed = delta < -spec.tolerance && t.pValue < spec.alpha && t.b > t.c;
    const msg = `accuracy ${round(accA)} -> ${round(accB)} (Δ ${round(delta)}, McNemar p = ${round(t.pValue)})`;
    return regressed ? fail(`regressed: ${msg}`, delta, threshold, evidence) : pass(msg, delta, threshold, evidence);
  }
  const metric = rowMetric(spec.metric, cand.preds);
  if (!metric) return errored(`metric "${spec.metric}" has no paired test for a ${cand.preds.task} task`);
  const r = pairedBootstrap(cand.preds.n, metric, base.preds.scores, cand.preds.scores, { resamples: spec.resamples, confidence: 1 - spec.alpha, seed: spec.seed });
  // Improvement-oriented delta: positive is better whatever the metric's direction.
  const delta = sign * r.delta;
  // Upper end of the improvement interval: below 0 means confidently worse.
  const high = sign > 0 ? r.high : -r.low;
  Object.assign(evidence, { test: 'paired-bootstrap', delta: r.delta, ci: [r.low, r.high], confidence: r.confidence, resamples: r.resamples, seed: r.seed, direction: sign > 0 ? 'higher-is-better' : 'lower-is-better' });
  const regressed = delta < -spec.tolerance && high < 0;
  const msg = `${spec.metric} Δ ${round(r.delta)} (${Math.round(r.confidence * 100)}% CI ${round(r.low)} .. ${round(r.high)})`;
  return regressed ? fail(`regressed: ${msg}`, r.delta, threshold, evidence) : pass(msg, r.delta, threshold, evidence);
}

/** Fairlearn bounds per sensitive column, over groups with at least `minGroupSize` rows. */
export async function fairnessGate(ctx: GateContext, spec: Spec<'fairness'>): Promise<Verdict> {
  const { preds, dataset, table } = await ctx.evaluations.predictions(ctx.version, spec.dataset);
  if (preds.task !== 'binary') return errored(`fairness gates need a binary task; ${spec.dataset} is ${preds.task}`);
  const columns = spec.columns ?? dataset.schema.sensitive;
  if (columns.length === 0) return errored(`${spec.dataset} has no sensitive columns; push it with --sensitive COL,…`);
  const threshold = { minDemographicParityRatio: spec.minDemographicParityRatio, maxEqualizedOddsDifference: spec.maxEqualizedOddsDifference ?? null, minGroupSize: spec.minGroupSize };
  const perColumn: Record<string, unknown> = {};
  const failures: string[] = [];
  let worstRatio = Number.POSITIVE_INFINITY;
  for (const col of columns) {
    const j = table.header.indexOf(col);
    if (j < 0) return errored(`${spec.dataset} has no column "${col}"`);
    const values = table.rows.map((r) => r[j] ?? '');
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    const small = [...counts].filter(([, n]) => n < spec.minGroupSize).map(([g, n]) => ({ group: g, count: n }));
    const keep: number[] = [];
    for (let i = 0; i < values.length; i++) if ((counts.get(values[i]!) ?? 0) >= spec.minGroupSize) keep.push(i);
    if (counts.size - small.length < 2) return errored(`column "${col}": fewer than two groups with at least ${spec.minGroupSize} rows`, { excluded: small });
    const y = Float64Array.from(keep, (i) => preds.labels[i]!);
    const s = Float64Array.from(keep, (i) => preds.scores[i]!);
    const rep = fairnessMetrics(y, s, keep.map((i) => values[i]!));
    perColumn[col] = { demographicParityRatio: rep.demographicParityRatio, equalizedOddsDifference: rep.equalizedOddsDifference, groups: rep.groups, excludedSmallGroups: small };
    const ratio = Number.isNaN(rep.demographicParityRatio) ? 0 : rep.demographicParityRatio;
    worstRatio = Math.min(worstRatio, ratio);
    if (ratio < spec.minDemographicParityRatio) failures.push(`${col}: demographic parity ratio ${round(ratio)} < ${spec.minDemographicParityRatio}`);
    if (spec.maxEqualizedOddsDifference !== undefined && !(rep.equalizedOddsDifference <= spec.maxEqualizedOddsDifference)) {
      failures.push(`${col}: equalized odds difference ${round(rep.equalizedOddsDifference)} > ${spec.maxEqualizedOddsDifference}`);
    }
  }
  const value = { worstDemographicParityRatio: worstRatio };
  return failures.length ? fail(failures.join('; '), value, threshold, { columns: perColumn }) : pass(`${columns.join(', ')} within bounds`, value, threshold, { columns: perColumn });
}

/** p95 of built-in inference latency over `rows` rows, `batchSize` rows per call. */
export async function latencyGate(ctx: GateContext, spec: Spec<'latency'>): Promise<Verdict> {
  const { dataset, table } = await ctx.datasets.load(spec.dataset);
  const runner = await ctx.evaluations.runner(onnxFileOf(ctx.version));
  const n = Math.min(spec.rows, table.rows.length);
  const times: number[] = [];
  await runner.score({ header: table.header, rows: table.rows.slice(0, Math.min(n, 10)) }); // warm-up, not timed
  for (let start = 0; start < n; start += spec.batchSize) {
    const slice = { header: table.header, rows: table.rows.slice(start, Math.min(n, start + spec.batchSize)) };
    const t0 = performance.now();
    await runner.score(slice);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p95 = times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)] ?? Number.NaN;
  const evidence = { calls: times.length, rows: n, batchSize: spec.batchSize, p50Ms: times[Math.floor(times.length / 2)], maxMs: times[times.length - 1], dataset: `${dataset.name}@${dataset.version}`, platform: spec.platform ?? 'server' };
  return p95 <= spec.p95Ms ? pass(`p95 ${round(p95)} ms <= ${spec.p95Ms} ms`, p95, spec.p95Ms, evidence) : fail(`p95 ${round(p95)} ms > budget ${spec.p95Ms} ms`, p95, spec.p95Ms, evidence);
}
