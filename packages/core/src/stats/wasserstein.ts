/**
 * Wasserstein-1 (earth mover's) distance between two empirical distributions, as
 * scipy.stats.wasserstein_distance(u, v) with unit weights: ∫ |F_u(x) - F_v(x)| dx.
 */

import { sortFloat64 } from './sort.ts';

/** W1 over two ascending-sorted samples in one merge pass, O(n1 + n2). */
export function wassersteinSorted(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const n1 = u.length;
  const n2 = v.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('wasserstein needs two non-empty samples');
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(u[0] as number, v[0] as number);
  while (i < n1 || j < n2) {
    const a = i < n1 ? (u[i] as number) : Number.POSITIVE_INFINITY;
    const b = j < n2 ? (v[j] as number) : Number.POSITIVE_INFINITY;
    const x = a < b ? a : b;
    // F_u and F_v are constant on [prev, x): i/n1 and j/n2.
    total += Math.abs(i / n1 - j / n2) * (x - prev);
    prev = x;
    if (a === x) i++;
    else j++;
  }
  return total;
}

export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(sortFloat64(Float64Array.from(u)), sortFloat64(Float64Array.from(v)));
}

/** Population standard deviation (numpy `np.std`, ddof = 0), two-pass for accuracy. */
export function populationStd(x: ArrayLike<number>): number {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/**
 * Evidently's `wasserstein_stat_test`: W1 / max(std(reference), 0.001), so the score is in units of
 * reference standard deviations (drift when >= 0.1 by default).
 */
export function normedWasserstein(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const norm = Math.max(populationStd(reference), 0.001);
  return wassersteinDistance(reference, current) / norm;
}
