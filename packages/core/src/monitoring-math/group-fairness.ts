/**
 * Fairlearn's between-group fairness metrics from per-group counts (what the window summaries keep),
 * with Poisson-bootstrap confidence intervals. Definitions as in `metrics/fairness.ts`:
 * selection rate = predicted positive / rows; TPR = tp / (tp + fn); FPR = fp / (fp + tn);
 * DP difference = max − min selection rate; DP ratio = min / max; equalized odds difference =
 * max(TPR spread, FPR spread). Groups with fewer than `minGroupSize` rows are reported but left out
 * of the between-group figures (their rates are too noisy to act on).
 */
import type { Random } from '../sketches/prng.ts';

/** Per group: all predictions (`n`, `predictedPositive`) and, among labelled ones, the confusion cells. */
export interface GroupCounts {
  n: number;
  predictedPositive: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface GroupFairnessRates {
  group: string;
  n: number;
  labelled: number;
  selectionRate: number;
  truePositiveRate: number;
  falsePositiveRate: number;
  /** False when n < minGroupSize: shown, not compared. */
  included: boolean;
}

export interface GroupFairness {
  groups: GroupFairnessRates[];
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalizedOddsDifference: number;
}

export interface Interval {
  low: number;
  high: number;
}

export interface GroupFairnessWithCi extends GroupFairness {
  ci: { demographicParityDifference: Interval; demographicParityRatio: Interval; equalizedOddsDifference: Interval; level: number; iterations: number };
}

export const emptyGroupCounts = (): GroupCounts => ({ n: 0, predictedPositive: 0, tp: 0, fp: 0, tn: 0, fn: 0 });

export function mergeGroupCounts(a: GroupCounts, b: GroupCounts): GroupCounts {
  return { n: a.n + b.n, predictedPositive: a.predictedPositive + b.predictedPositive, tp: a.tp + b.tp, fp: a.fp + b.fp, tn: a.tn + b.tn, fn: a.fn + b.fn };
}

const div = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

function spread(values: number[]): { min: number; max: number } | undefined {
  const v = values.filter((x) => !Number.isNaN(x));
  return v.length ? { min: Math.min(...v), max: Math.max(...v) } : undefined;
}

export function groupFairness(groups: Readonly<Record<string, GroupCounts>>, minGroupSize = 30): GroupFairness {
  const rates: GroupFairnessRates[] = Object.entries(groups)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, c]) => ({
      group, n: c.n, labelled: c.tp + c.fp + c.tn + c.fn,
      selectionRate: div(c.predictedPositive, c.n), truePositiveRate: div(c.tp, c.tp + c.fn), falsePositiveRate: div(c.fp, c.fp + c.tn),
      included: c.n >= minGroupSize,
    }));
  const inc = rates.filter((r) => r.included);
  const sr = spread(inc.map((r) => r.selectionRate));
  const tpr = spread(inc.map((r) => r.truePositiveRate));
  const fpr = spread(inc.map((r) => r.falsePositiveRate));
  const dpd = sr ? sr.max - sr.min : Number.NaN;
  const dpr = sr && sr.max > 0 ? sr.min / sr.max : Number.NaN;
  const eod = tpr && fpr ? Math.max(tpr.max - tpr.min, fpr.max - fpr.min) : tpr ? tpr.max - tpr.min : fpr ? fpr.max - fpr.min : Number.NaN;
  return { groups: rates, demographicParityDifference: dpd, demographicParityRatio: dpr, equalizedOddsDifference: eod };
}

/** Poisson(λ) draw: Knuth's product method for small λ, a rounded normal above 50 (error negligible for CIs). */
export function poisson(lambda: number, random: Random): number {
  if (lambda <= 0) return 0;
  if (lambda > 50) {
    const u1 = Math.max(random.next(), 1e-300);
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random.next());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do { k++; p *= random.next(); } while (p > l);
  return k - 1;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * Percentile bootstrap CIs. Rows are resampled with Poisson(1) weights (Hanley & MacGibbon), which
 * on counts means every cell count c is redrawn as Poisson(c): the streaming equivalent of
 * resampling rows with replacement, needing only the counts. Unlabelled predictions (n − labelled)
 * are split into predicted positive/negative cells the same way.
 */
export function groupFairnessWithCi(
  groups: Readonly<Record<string, GroupCounts>>,
  opts: { random: Random; iterations?: number; level?: number; minGroupSize?: number },
): GroupFairnessWithCi {
  const iterations = opts.iterations ?? 200;
  const level = opts.level ?? 0.95;
  const base = groupFairness(groups, opts.minGroupSize);
  const draws = { dpd: [] as number[], dpr: [] as number[], eod: [] as number[] };
  for (let it = 0; it < iterations; it++) {
    const resampled: Record<string, GroupCounts> = {};
    for (const [g, c] of Object.entries(groups)) {
      const labelledPos = c.tp + c.fp;
      const unlabPos = Math.max(0, c.predictedPositive - labelledPos);
      const unlabNeg = Math.max(0, c.n - c.predictedPositive - (c.tn + c.fn));
      const tp = poisson(c.tp, opts.random), fp = poisson(c.fp, opts.random), tn = poisson(c.tn, opts.random), fn = poisson(c.fn, opts.random);
      const up = poisson(unlabPos, opts.random), un = poisson(unlabNeg, opts.random);
      resampled[g] = { tp, fp, tn, fn, predictedPositive: tp + fp + up, n: tp + fp + tn + fn + up + un };
    }
    const r = groupFairness(resampled, opts.minGroupSize);
    if (!Number.isNaN(r.demographicParityDifference)) draws.dpd.push(r.demographicParityDifference);
    if (!Number.isNaN(r.demographicParityRatio)) draws.dpr.push(r.demographicParityRatio);
    if (!Number.isNaN(r.equalizedOddsDifference)) draws.eod.push(r.equalizedOddsDifference);
  }
  const a = (1 - level) / 2;
  const ci = (xs: number[]): Interval => {
    const s = xs.sort((x, y) => x - y);
    return { low: percentile(s, a), high: percentile(s, 1 - a) };
  };
  return { ...base, ci: { demographicParityDifference: ci(draws.dpd), demographicParityRatio: ci(draws.dpr), equalizedOddsDifference: ci(draws.eod), level, iterations } };
}
