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

/** An empty sketch of a feature of that kind (what the first typed value of a feature creates). */
export function emptyFeatureSketch(kind: FeatureSketch['kind']): FeatureSketch {
  return kind === 'categorical' ? { kind, counts: emptyCategorical() } : { kind, moments: emptyMoments(), hist: emptyLogHistogram() };
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
      f = emptyFeatureSketch(typeof v === 'string' ? 'categorical' : 'numeric');
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

/** Adds b's counts into a in place, first come first kept: a's categories stay, b's join while there is room, the rest go to `other`. */
function absorbCategorical(a: CategoricalState, b: CategoricalState): void {
  let size = Object.keys(a.counts).length;
  for (const k of Object.keys(b.counts)) {
    const c = b.counts[k] as number;
    const cur = a.counts[k];
    if (cur !== undefined) a.counts[k] = cur + c;
    else if (size < a.capacity) {
      a.counts[k] = c;
      size++;
    } else a.other += c;
  }
  a.other += b.other;
  a.missing += b.missing;
  a.total += b.total;
}

function absorbMoments(a: MomentsState, b: MomentsState): void {
  Object.assign(a, mergeMoments(a, b));
}

/**
 * Adds the summary `b` of rows that come after `a`'s into `a`, in place: the result equals adding
 * b's rows to `a` one by one (counts and histograms exactly; moments and score sums up to
 * rounding; the reservoir as a uniform sample of both) as long as no bounded part overflows.
 * Past a bound (1000 categories of a feature, 100 classes, 100 groups of an attribute) it keeps
 * a's entries first, as adding row by row does, though which of b's entries still fit can differ.
 * A feature whose kind differs between the two keeps a's (ingest rejects such rows). `b` is only
 * read, and may come from a structured clone (prototype-bearing records): nothing of it is kept.
 */
export function absorbWindowSummary(a: WindowSummary, b: WindowSummary, random: Random): void {
  a.count += b.count;
  a.errors += b.errors;
  for (let i = 0; i < a.latency.length; i++) a.latency[i] = (a.latency[i] as number) + (b.latency[i] ?? 0);
  absorbMoments(a.latencyMoments, b.latencyMoments);
  if (a.scores.counts.length !== b.scores.counts.length) throw new RangeError('score histograms differ in bin count');
  for (let i = 0; i < a.scores.counts.length; i++) {
    a.scores.counts[i] = (a.scores.counts[i] as number) + (b.scores.counts[i] as number);
    a.scores.sums[i] = (a.scores.sums[i] as number) + (b.scores.sums[i] as number);
  }
  absorbCategorical(a.classes, b.classes);
  const la = a.labelled;
  const lb = b.labelled;
  la.n += lb.n; la.tp += lb.tp; la.fp += lb.fp; la.tn += lb.tn; la.fn += lb.fn; la.logLossSum += lb.logLossSum; la.scored += lb.scored;
  for (const attr of Object.keys(b.groups)) {
    const from = b.groups[attr] as Record<string, GroupCounts>;
    for (const value of Object.keys(from)) {
      const c = from[value] as GroupCounts;
      const g = groupCell(a, attr, value);
      g.n += c.n; g.predictedPositive += c.predictedPositive; g.tp += c.tp; g.fp += c.fp; g.tn += c.tn; g.fn += c.fn;
    }
  }
  for (const name of Object.keys(b.features)) {
    const fb = b.features[name] as FeatureSketch;
    let fa = a.features[name];
    if (!fa) a.features[name] = fa = emptyFeatureSketch(fb.kind);
    if (fa.kind === 'numeric' && fb.kind === 'numeric') {
      absorbMoments(fa.moments, fb.moments);
      for (const k of Object.keys(fb.hist)) fa.hist[k] = (fa.hist[k] ?? 0) + (fb.hist[k] as number);
    } else if (fa.kind === 'categorical' && fb.kind === 'categorical') absorbCategorical(fa.counts, fb.counts);
  }
  a.reservoir = mergeReservoirs(a.reservoir, b.reservoir, random);
  for (const k of Object.keys(b.alarms)) a.alarms[k] = (a.alarms[k] ?? 0) + (b.alarms[k] as number);
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
