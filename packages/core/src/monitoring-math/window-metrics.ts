/**
 * The flat numbers of one (merged) window: what rules, rollouts and the CLI read. NaN where a
 * figure has no data (no labels yet, no scores). Latency quantiles are bucket upper edges (ms),
 * i.e. conservative within one histogram bucket.
 */
import { cbpeFromHistogram } from './cbpe.ts';
import { LATENCY_EDGES_MS, type WindowSummary } from './window-summary.ts';

export interface WindowMetrics {
  count: number;
  errors: number;
  errorRate: number;
  latencyMeanMs: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  /** Share of predictions of class 1 (from scores/predictions). */
  positiveRate: number;
  meanScore: number;
  labelled: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  logLoss: number;
  /** CBPE estimates from the scores (meaningful only when the reference is calibrated). */
  estimatedAccuracy: number;
  estimatedF1: number;
  estimatedRocAuc: number;
  alarms: Record<string, number>;
}

function latencyQuantile(counts: readonly number[], q: number): number {
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return Number.NaN;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i] as number;
    if (acc >= q * total) return i < LATENCY_EDGES_MS.length ? (LATENCY_EDGES_MS[i] as number) : Number.POSITIVE_INFINITY;
  }
  return Number.POSITIVE_INFINITY;
}

export function windowMetrics(s: WindowSummary, threshold = 0.5): WindowMetrics {
  const div = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const l = s.labelled;
  const est = cbpeFromHistogram(s.scores, threshold);
  const scored = s.scores.counts.reduce((a, c) => a + c, 0);
  const scoreSum = s.scores.sums.reduce((a, c) => a + c, 0);
  const positives = s.classes.counts['1'] ?? 0;
  return {
    count: s.count, errors: s.errors, errorRate: div(s.errors, s.count),
    latencyMeanMs: s.latencyMoments.count ? s.latencyMoments.mean : Number.NaN,
    latencyP50Ms: latencyQuantile(s.latency, 0.5), latencyP95Ms: latencyQuantile(s.latency, 0.95), latencyP99Ms: latencyQuantile(s.latency, 0.99),
    positiveRate: div(positives, s.classes.total - s.classes.missing), meanScore: div(scoreSum, scored),
    labelled: l.n, accuracy: div(l.tp + l.tn, l.n), precision: div(l.tp, l.tp + l.fp), recall: div(l.tp, l.tp + l.fn),
    f1: div(2 * l.tp, 2 * l.tp + l.fp + l.fn), logLoss: div(l.logLossSum, l.scored),
    estimatedAccuracy: est.accuracy, estimatedF1: est.f1, estimatedRocAuc: est.rocAuc,
    alarms: { ...s.alarms },
  };
}
