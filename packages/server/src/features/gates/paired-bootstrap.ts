/**
 * Paired bootstrap confidence interval for the difference of a metric between two models scored
 * on the same rows: each resample draws row indices with replacement (the same indices for both
 * models, which is what makes it paired) and records metric(candidate) − metric(baseline).
 * Percentile interval. Seeded (mulberry32) so a validation report is reproducible.
 */
export interface BootstrapResult {
  readonly delta: number;
  readonly low: number;
  readonly high: number;
  readonly resamples: number;
  readonly confidence: number;
  readonly seed: number;
}

/** A metric over a subset of rows given by `idx` (indices may repeat). */
export type RowMetric = (scores: ArrayLike<number>, idx: Int32Array) => number;

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export function pairedBootstrap(
  n: number,
  metric: RowMetric,
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
  opts: { resamples?: number; confidence?: number; seed?: number } = {},
): BootstrapResult {
  const resamples = opts.resamples ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  const seed = opts.seed ?? 42;
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const delta = metric(candidate, all) - metric(baseline, all);
  const rand = mulberry32(seed);
  const deltas = new Float64Array(resamples);
  const idx = new Int32Array(n);
  let kept = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rand() * n);
    const d = metric(candidate, idx) - metric(baseline, idx);
    // A resample can make a metric undefined (e.g. AUC with one class); leave it out.
    if (!Number.isNaN(d)) deltas[kept++] = d;
  }
  const sorted = deltas.subarray(0, kept).sort();
  const alpha = 1 - confidence;
  return { delta, low: quantileSorted(sorted, alpha / 2), high: quantileSorted(sorted, 1 - alpha / 2), resamples: kept, confidence, seed };
}
