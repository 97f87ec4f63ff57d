/**
 * Per-column and dataset drift on raw reference/current samples. Method choice and thresholds in
 * `drift-method.ts`; every result carries an effect size next to its p-value (or its distance).
 */
import { chiSquareCounts } from './chisquare.ts';
import { evidentlyPercents } from './binning.ts';
import { jensenShannonDistance } from './jensen-shannon.ts';
import { ksTwoSampleSorted } from './ks-two-sample.ts';
import { adjustPValues, type Correction } from './multiple-testing.ts';
import { psiOnDeciles } from './psi.ts';
import { sortFloat64 } from './sort.ts';
import { populationStd, wassersteinSorted } from './wasserstein.ts';
import { twoProportionZTest } from './z-test.ts';
import {
  DEFAULT_THRESHOLDS, P_VALUE_METHODS, selectDriftMethod, type ColumnKind, type DriftMethod,
} from './drift-method.ts';

/** Numeric columns: values (NaN = missing). Categorical: integer category codes >= 0 (-1 = missing). */
export interface DriftColumn {
  name: string;
  kind: ColumnKind;
  reference: ArrayLike<number>;
  current: ArrayLike<number>;
  /** Force a method instead of Evidently's default choice. */
  method?: DriftMethod;
}

export interface ColumnDrift {
  name: string;
  method: DriftMethod;
  /** Test statistic (D, χ², z) or the distance itself for distance methods. */
  statistic: number;
  /** Raw p-value; null for distance methods. */
  pValue: number | null;
  /** p-value after the run's correction; null for distance methods. */
  adjustedPValue: number | null;
  /** KS: D; chi-squared: Cohen's w; z: Cohen's h; distances: the distance. */
  effectSize: number;
  threshold: number;
  drifted: boolean;
  /** Distinct non-missing values over reference ∪ current; numeric columns report 6 for "more than 5". */
  nUnique: number;
  referenceRows: number;
  currentRows: number;
}

export interface DatasetDrift {
  columns: ColumnDrift[];
  driftedColumns: number;
  share: number;
  /** share >= driftShare. */
  drifted: boolean;
  driftShare: number;
  correction: Correction;
}

export interface DriftOptions {
  thresholds?: Partial<Record<DriftMethod, number>>;
  correction?: Correction;
  /** Dataset drifts when at least this share of columns drift. Default 0.5 (Evidently). */
  driftShare?: number;
}

function sortedNonMissing(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isNaN(v)) out[k++] = v;
  }
  return sortFloat64(out.subarray(0, k));
}

/** Number of distinct values across two sorted samples, counting stops once above `cap`. */
function distinctSorted(a: Float64Array, b: Float64Array, cap: number): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while ((i < a.length || j < b.length) && n <= cap) {
    const x = Math.min(i < a.length ? (a[i] as number) : Infinity, j < b.length ? (b[j] as number) : Infinity);
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
    n++;
  }
  return n;
}

/** Distinct values of two sorted samples and their counts in each (merge walk). */
function valueCountsSorted(a: Float64Array, b: Float64Array): { ref: number[]; cur: number[] } {
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = Math.min(i < a.length ? (a[i] as number) : Infinity, j < b.length ? (b[j] as number) : Infinity);
    let ci = 0;
    let cj = 0;
    while (i < a.length && a[i] === x) { i++; ci++; }
    while (j < b.length && b[j] === x) { j++; cj++; }
    ref.push(ci);
    cur.push(cj);
  }
  return { ref, cur };
}

function categoryCounts(ref: ArrayLike<number>, cur: ArrayLike<number>): { ref: number[]; cur: number[] } {
  let max = -1;
  for (let i = 0; i < ref.length; i++) max = Math.max(max, ref[i] as number);
  for (let i = 0; i < cur.length; i++) max = Math.max(max, cur[i] as number);
  const r = new Float64Array(max + 1);
  const c = new Float64Array(max + 1);
  for (let i = 0; i < ref.length; i++) { const k = ref[i] as number; if (k >= 0) r[k] = (r[k] as number) + 1; }
  for (let i = 0; i < cur.length; i++) { const k = cur[i] as number; if (k >= 0) c[k] = (c[k] as number) + 1; }
  const outR: number[] = [];
  const outC: number[] = [];
  for (let k = 0; k <= max; k++) {
    if ((r[k] as number) + (c[k] as number) > 0) { outR.push(r[k] as number); outC.push(c[k] as number); }
  }
  return { ref: outR, cur: outC };
}

const sum = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0);

/** Score one column, before any multiple-testing correction. */
export function columnDrift(col: DriftColumn, thresholds: Partial<Record<DriftMethod, number>> = {}): ColumnDrift {
  const numeric = col.kind === 'numeric';
  const refSorted = numeric ? sortedNonMissing(col.reference) : undefined;
  const curSorted = numeric ? sortedNonMissing(col.current) : undefined;
  // Numeric columns only need per-value counts when they have few distinct values (chi², z, JS);
  // building them for a million distinct floats would dominate the run.
  const FEW = 5;
  const fewNumeric = numeric && distinctSorted(refSorted as Float64Array, curSorted as Float64Array, FEW) <= FEW;
  const counts = !numeric
    ? categoryCounts(col.reference, col.current)
    : fewNumeric || (col.method !== undefined && !['ks', 'wasserstein', 'psi'].includes(col.method))
      ? valueCountsSorted(refSorted as Float64Array, curSorted as Float64Array)
      : undefined;
  const nRef = counts ? sum(counts.ref) : (refSorted as Float64Array).length;
  const nCur = counts ? sum(counts.cur) : (curSorted as Float64Array).length;
  // Above FEW the exact count does not change the method; report FEW + 1 as "more than 5".
  const nUnique = counts ? counts.ref.length : FEW + 1;
  const method = col.method ?? selectDriftMethod(col.kind, nRef, nUnique);
  const needCounts = (): { ref: number[]; cur: number[] } =>
    counts ?? valueCountsSorted(refSorted as Float64Array, curSorted as Float64Array);
  const threshold = thresholds[method] ?? DEFAULT_THRESHOLDS[method];
  let statistic: number;
  let pValue: number | null = null;
  let effectSize: number;
  switch (method) {
    case 'ks': {
      if (!refSorted || !curSorted) throw new RangeError(`ks needs a numeric column: ${col.name}`);
      const r = ksTwoSampleSorted(refSorted, curSorted);
      statistic = effectSize = r.statistic;
      pValue = r.pValue;
      break;
    }
    case 'chisquare': {
      const c = needCounts();
      const r = chiSquareCounts(c.ref, c.cur);
      statistic = r.statistic;
      pValue = r.pValue;
      effectSize = r.effectSize;
      break;
    }
    case 'z': {
      const c = needCounts();
      const r = twoProportionZTest(c.ref[0] ?? 0, nRef, c.cur[0] ?? 0, nCur);
      statistic = r.statistic;
      pValue = r.pValue;
      effectSize = r.effectSize;
      break;
    }
    case 'wasserstein': {
      if (!refSorted || !curSorted) throw new RangeError(`wasserstein needs a numeric column: ${col.name}`);
      statistic = effectSize = wassersteinSorted(refSorted, curSorted) / Math.max(populationStd(refSorted), 0.001);
      break;
    }
    case 'jensenshannon': {
      const c = needCounts();
      statistic = effectSize = jensenShannonDistance(evidentlyPercents(c.ref, nRef), evidentlyPercents(c.cur, nCur));
      break;
    }
    case 'psi': {
      if (!refSorted || !curSorted) throw new RangeError(`psi needs a numeric column: ${col.name}`);
      statistic = effectSize = psiOnDeciles(refSorted, curSorted);
      break;
    }
  }
  const drifted = pValue === null ? statistic >= threshold : pValue < threshold;
  return {
    name: col.name, method, statistic, pValue, adjustedPValue: pValue, effectSize, threshold, drifted,
    nUnique, referenceRows: nRef, currentRows: nCur,
  };
}

/** Score every column, correct p-values across columns, and decide dataset drift. */
export function datasetDrift(columns: readonly DriftColumn[], options: DriftOptions = {}): DatasetDrift {
  const correction = options.correction ?? 'none';
  const driftShare = options.driftShare ?? 0.5;
  const scored = columns.map((c) => columnDrift(c, options.thresholds));
  const adjusted = adjustPValues(scored.map((c) => c.pValue ?? Number.NaN), correction);
  const results = scored.map((c, i) => {
    if (c.pValue === null || !P_VALUE_METHODS.has(c.method)) return c;
    const adj = adjusted[i] as number;
    return { ...c, adjustedPValue: adj, drifted: adj < c.threshold };
  });
  const driftedColumns = results.filter((c) => c.drifted).length;
  const share = results.length === 0 ? 0 : driftedColumns / results.length;
  return { columns: results, driftedColumns, share, drifted: results.length > 0 && share >= driftShare, driftShare, correction };
}
