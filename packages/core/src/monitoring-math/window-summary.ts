/**
 * One model version's traffic over one time window, as mergeable sketches: memory grows with the
 * number of features, groups and windows, never with rows. merge(a, b) summarises the union of a's
 * and b's rows (exactly for counts, moments and histograms; as a uniform sample for the reservoir),
 * which is how roll-ups and range queries work.
 *
 * Numeric features keep moments (with the missing count) and a log-bucket histogram (DDSketch's
 * mapping: quantiles within ±1% of value, bucket masses exact). Not KLL: core's KllSketch measured
 * ~1-2 µs per update here (10 numeric features = 10-20 µs per event, more than the whole 100k
 * events/s budget), and its additive rank error (~2% at k = 128) misplaces heavy-tail mass that
 * Wasserstein drift is sensitive to. KLL stays in the one-off reference profile.
 */
import { addCategory, emptyCategorical, mergeCategorical, type CategoricalState } from '../sketches/categorical.ts';
import { addMoment, emptyMoments, mergeMoments, momentsFromJSON, momentsToJSON, type MomentsState } from '../sketches/moments.ts';
import type { Random } from '../sketches/prng.ts';
import { addToReservoir, emptyReservoir, mergeReservoirs, type ReservoirState } from '../sketches/reservoir.ts';
import { addToLogHistogram, emptyLogHistogram, mergeLogHistograms, type LogHistogram } from './log-histogram.ts';
import { addScore, emptyScoreHistogram, mergeScoreHistograms, type ScoreHistogram } from './cbpe.ts';
import { emptyGroupCounts, mergeGroupCounts, type GroupCounts } from './group-fairness.ts';

/** Upper bucket edges in milliseconds; the last bucket is "above 5 s". */
export const LATENCY_EDGES_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;
export const MAX_GROUPS_PER_ATTRIBUTE = 100;
export const OTHER_GROUP = '__other__';
export const DEFAULT_RESERVOIR = 200;

export type FeatureValue = number | string | null;

export type FeatureSketch =
  | { kind: 'numeric'; moments: MomentsState; hist: LogHistogram }
  | { kind: 'categorical'; counts: CategoricalState };

/** A raw row kept in the reservoir (for label queues and inspection). */
export interface SampleRow {
  requestId: string;
  time: string;
  features: Record<string, FeatureValue>;
  score?: number;
  probabilities?: Record<string, number>;
  prediction?: string | number | null;
}

export interface LabelledCounts {
  n: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Σ log loss over labelled rows with a score (natural log, p clipped to [1e-15, 1 − 1e-15]). */
  logLossSum: number;
  scored: number;
}

export interface WindowSummary {
  count: number;
  errors: number;
  latency: number[];
  latencyMoments: MomentsState;
  scores: ScoreHistogram;
  classes: CategoricalState;
  labelled: LabelledCounts;
  /** attribute → group value → counts. */
  groups: Record<string, Record<string, GroupCounts>>;
  features: Record<string, FeatureSketch>;
  reservoir: ReservoirState<SampleRow>;
  /** detector name → alarms raised in this window. */
  alarms: Record<string, number>;
}

export interface PredictionInput {
  latencyMs?: number;
  error?: boolean;
  features: Record<string, FeatureValue>;
  score?: number;
  prediction?: string | number | null;
  groups?: Record<string, string>;
  /** The raw row for the reservoir; a function is called only if the reservoir keeps the row. */
  sample?: SampleRow | (() => SampleRow);
}

export function emptyWindowSummary(reservoir = DEFAULT_RESERVOIR): WindowSummary {
  return {
    count: 0, errors: 0, latency: new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0), latencyMoments: emptyMoments(),
    scores: emptyScoreHistogram(), classes: emptyCategorical(100),
    labelled: { n: 0, tp: 0, fp: 0, tn: 0, fn: 0, logLossSum: 0, scored: 0 },
    groups: {}, features: {}, reservoir: emptyReservoir<SampleRow>(reservoir), alarms: {},
  };
}

export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_EDGES_MS.length && ms > (LATENCY_EDGES_MS[i] as number)) i++;
  return i;
}

function groupCell(s: WindowSummary, attr: string, value: string): GroupCounts {
  const byValue = (s.groups[attr] ??= {});
  let key = value;
  if (!(key in byValue) && Object.keys(byValue).length >= MAX_GROUPS_PER_ATTRIBUTE) key = OTHER_GROUP;
  return (byValue[key] ??= emptyGroupCounts());
}

/**
 * Add one prediction. Returns false (and adds nothing) if a feature's type disagrees with the
 * type this window already holds for it (numbers vs strings).
 */
export function addPrediction(s: WindowSummary, e: PredictionInput, threshold: number, random: Random): boolean {
  const feats = e.features;
  // for…in rather than Object.entries: no pair arrays per row on the ingest hot path.
  for (const name in feats) {
    const v = feats[name] as FeatureValue;
    const f = s.features[name];
    if (f && v !== null && (f.kind === 'numeric') !== (typeof v === 'number')) return false;
  }
  s.count++;
  if (e.error) s.errors++;
  if (e.latencyMs !== undefined) {
    const b = latencyBucket(e.latencyMs);
    s.latency[b] = (s.latency[b] as number) + 1;
    addMoment(s.latencyMoments, e.latencyMs);
  }
  for (const name in feats) {
    const v = feats[name] as FeatureValue;
    let f = s.features[name];
    // A feature's kind comes from its first typed value in the window; nulls before it are not counted.
    if (!f && v === null) continue;
    if (!f) {
      f = typeof v === 'string' ? { kind: 'categorical', counts: emptyCategorical() } : { kind: 'numeric', moments: emptyMoments(), hist: emptyLogHistogram() };
      s.features[name] = f;
    }
    if (f.kind === 'numeric') {
      addMoment(f.moments, v as number | null);
      if (v !== null) addToLogHistogram(f.hist, v as number);
    } else addCategory(f.counts, v as string | null);
  }
  if (e.score !== undefined) addScore(s.scores, e.score);
  const predicted = e.prediction ?? (e.score !== undefined ? (e.score >= threshold ? 1 : 0) : null);
  if (predicted !== null) addCategory(s.classes, String(predicted));
  const positive = isPositive(predicted);
  if (e.groups) {
    for (const attr in e.groups) {
      const g = groupCell(s, attr, e.groups[attr] as string);
      g.n++;
      if (positive) g.predictedPositive++;
    }
  }
  if (e.sample) {
    const r = s.reservoir;
    if (typeof e.sample !== 'function') addToReservoir(r, e.sample, random);
    else if (r.items.length < r.capacity) addToReservoir(r, e.sample(), random);
    else {
      // Algorithm R's decision, made before building the row (most rows are not kept).
      r.seen++;
      const j = Math.floor(random.next() * r.seen);
      if (j < r.capacity) r.items[j] = e.sample();
    }
  }
  return true;
}

export function isPositive(v: string | number | boolean | null | undefined): boolean {
  return v === 1 || v === true || v === '1' || v === 'true';
}

/** A label joined to its prediction; cells go to the prediction's window. */
export function addLabel(
  s: WindowSummary,
  j: { predictedPositive: boolean; score?: number; groups?: Record<string, string> },
  actualPositive: boolean,
): void {
  const cell: 'tp' | 'fp' | 'tn' | 'fn' = j.predictedPositive ? (actualPositive ? 'tp' : 'fp') : actualPositive ? 'fn' : 'tn';
  s.labelled.n++;
  s.labelled[cell]++;
  if (j.score !== undefined) {
    const p = Math.min(Math.max(j.score, 1e-15), 1 - 1e-15);
    s.labelled.logLossSum -= actualPositive ? Math.log(p) : Math.log(1 - p);
    s.labelled.scored++;
  }
  if (j.groups) for (const [attr, value] of Object.entries(j.groups)) groupCell(s, attr, value)[cell]++;
}

export function addAlarm(s: WindowSummary, detector: string): void {
  s.alarms[detector] = (s.alarms[detector] ?? 0) + 1;
}

function mergeFeature(a: FeatureSketch | undefined, b: FeatureSketch): FeatureSketch {
  if (!a) return b.kind === 'numeric' ? { kind: 'numeric', moments: { ...b.moments }, hist: mergeLogHistograms(b.hist, {}) } : { kind: 'categorical', counts: mergeCategorical(b.counts, emptyCategorical(b.counts.capacity)) };
  if (a.kind === 'numeric' && b.kind === 'numeric') return { kind: 'numeric', moments: mergeMoments(a.moments, b.moments), hist: mergeLogHistograms(a.hist, b.hist) };
  if (a.kind === 'categorical' && b.kind === 'categorical') return { kind: 'categorical', counts: mergeCategorical(a.counts, b.counts) };
  return a; // a type clash across windows keeps the earlier kind; ingest rejects such rows within a window
}

/** Pure merge: neither input is modified. */
export function mergeWindowSummaries(a: WindowSummary, b: WindowSummary, random: Random): WindowSummary {
  const features: Record<string, FeatureSketch> = {};
  for (const [k, f] of Object.entries(a.features)) features[k] = mergeFeature(undefined, f);
  for (const [k, f] of Object.entries(b.features)) features[k] = mergeFeature(features[k], f);
  const groups: Record<string, Record<string, GroupCounts>> = {};
  for (const src of [a.groups, b.groups]) {
    for (const [attr, byValue] of Object.entries(src)) {
      const out = (groups[attr] ??= {});
      for (const [v, c] of Object.entries(byValue)) out[v] = mergeGroupCounts(out[v] ?? emptyGroupCounts(), c);
    }
  }
  const alarms: Record<string, number> = { ...a.alarms };
  for (const [k, v] of Object.entries(b.alarms)) alarms[k] = (alarms[k] ?? 0) + v;
  const la = a.labelled;
  const lb = b.labelled;
  return {
    count: a.count + b.count, errors: a.errors + b.errors,
    latency: a.latency.map((c, i) => c + (b.latency[i] ?? 0)), latencyMoments: mergeMoments(a.latencyMoments, b.latencyMoments),
    scores: mergeScoreHistograms(a.scores, b.scores),
    classes: mergeCategorical(a.classes, b.classes),
    labelled: { n: la.n + lb.n, tp: la.tp + lb.tp, fp: la.fp + lb.fp, tn: la.tn + lb.tn, fn: la.fn + lb.fn, logLossSum: la.logLossSum + lb.logLossSum, scored: la.scored + lb.scored },
    groups, features, reservoir: mergeReservoirs(a.reservoir, b.reservoir, random), alarms,
  };
}

type FeatureJSON = { kind: 'numeric'; moments: Record<string, number | null>; hist: LogHistogram } | { kind: 'categorical'; counts: CategoricalState };

export function windowSummaryToJSON(s: WindowSummary): unknown {
  const features: Record<string, FeatureJSON> = {};
  for (const [k, f] of Object.entries(s.features)) {
    features[k] = f.kind === 'numeric' ? { kind: 'numeric', moments: momentsToJSON(f.moments), hist: f.hist } : { kind: 'categorical', counts: f.counts };
  }
  return { ...s, latencyMoments: momentsToJSON(s.latencyMoments), features };
}

export function windowSummaryFromJSON(j: unknown): WindowSummary {
  const o = j as WindowSummary & { latencyMoments: Record<string, number | null>; features: Record<string, FeatureJSON> };
  const features: Record<string, FeatureSketch> = {};
  for (const [k, f] of Object.entries(o.features)) {
    features[k] = f.kind === 'numeric' ? { kind: 'numeric', moments: momentsFromJSON(f.moments), hist: mergeLogHistograms(f.hist, {}) } : { kind: 'categorical', counts: { ...f.counts, counts: Object.assign(Object.create(null) as Record<string, number>, f.counts.counts) } };
  }
  return { ...o, latencyMoments: momentsFromJSON(o.latencyMoments), features };
}
