/** Pearson chi-squared goodness-of-fit test, scipy.stats.chisquare(f_obs, f_exp), ddof = 0. */
import { chi2Sf } from './special.ts';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
  /** Cohen's w = sqrt(χ² / N), N = total observed count: the effect size reported next to p. */
  effectSize: number;
}

export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  const k = observed.length;
  if (k !== expected.length || k < 1) throw new RangeError('observed and expected must be non-empty and of equal length');
  let stat = 0;
  let n = 0;
  for (let i = 0; i < k; i++) {
    const o = observed[i] as number;
    const e = expected[i] as number;
    stat += ((o - e) * (o - e)) / e;
    n += o;
  }
  const dof = k - 1;
  const pValue = dof > 0 ? chi2Sf(stat, dof) : Number.NaN;
  return { statistic: stat, pValue, dof, effectSize: n > 0 ? Math.sqrt(stat / n) : 0 };
}

/**
 * Evidently's `chi_stat_test`: expected = reference counts scaled to the current total, over the
 * union of categories (a category unseen in the reference has expected 0, so χ² = ∞ and p = 0).
 */
export function chiSquareCounts(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < referenceCounts.length; i++) refTotal += referenceCounts[i] as number;
  for (let i = 0; i < currentCounts.length; i++) curTotal += currentCounts[i] as number;
  const scale = curTotal / refTotal;
  const expected = Array.from(referenceCounts, (c) => c * scale);
  return chiSquareTest(currentCounts, expected);
}
