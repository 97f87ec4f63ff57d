/**
 * Streaming moments of one numeric column: count, mean, M2 (sum of squared deviations), min, max
 * and missing count. Welford updates; merge by Chan, Golub & LeVeque's pairwise formula, so
 * merge(a, b) equals the moments of the concatenated stream up to rounding. Constant memory.
 */
export interface MomentsState {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  missing: number;
}

export function emptyMoments(): MomentsState {
  return { count: 0, mean: 0, m2: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, missing: 0 };
}

/** Add one value in place; NaN/null/undefined count as missing. */
export function addMoment(m: MomentsState, x: number | null | undefined): void {
  if (x === null || x === undefined || Number.isNaN(x)) {
    m.missing++;
    return;
  }
  m.count++;
  const d = x - m.mean;
  m.mean += d / m.count;
  m.m2 += d * (x - m.mean);
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
}

/** Chan et al.: n = na + nb, δ = μb - μa, μ = μa + δ·nb/n, M2 = M2a + M2b + δ²·na·nb/n. */
export function mergeMoments(a: MomentsState, b: MomentsState): MomentsState {
  const n = a.count + b.count;
  const missing = a.missing + b.missing;
  if (n === 0) return { ...emptyMoments(), missing };
  const delta = b.mean - a.mean;
  return {
    count: n,
    mean: a.mean + (delta * b.count) / n,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / n,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    missing,
  };
}

/** Variance with `ddof` (0 = population, as numpy's default; 1 = sample). */
export function variance(m: MomentsState, ddof = 0): number {
  return m.count - ddof > 0 ? m.m2 / (m.count - ddof) : Number.NaN;
}

export function momentsOf(values: ArrayLike<number>): MomentsState {
  const m = emptyMoments();
  for (let i = 0; i < values.length; i++) addMoment(m, values[i]);
  return m;
}

/** JSON form: ±Infinity (empty min/max) become null. */
export function momentsToJSON(m: MomentsState): Record<string, number | null> {
  return { ...m, min: Number.isFinite(m.min) ? m.min : null, max: Number.isFinite(m.max) ? m.max : null };
}

export function momentsFromJSON(j: Record<string, number | null>): MomentsState {
  return {
    count: j.count ?? 0, mean: j.mean ?? 0, m2: j.m2 ?? 0, missing: j.missing ?? 0,
    min: j.min ?? Number.POSITIVE_INFINITY, max: j.max ?? Number.NEGATIVE_INFINITY,
  };
}
