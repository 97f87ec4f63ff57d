/**
 * Two-proportion z-test with pooled variance, as Evidently's `z_stat_test`
 * (`proportions_diff_z_stat_ind` then p = 2·(1 - Φ(|z|))), for binary columns.
 */
import { normalSf } from './special.ts';

export interface ZTestResult {
  statistic: number;
  pValue: number;
  /** Cohen's h = 2·asin√p1 - 2·asin√p2, the effect size for two proportions. */
  effectSize: number;
}

/** `x1` successes of `n1` (reference) against `x2` of `n2` (current). */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ZTestResult {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const effectSize = 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
  // Both samples constant and equal: Evidently answers p = 1 instead of 0/0.
  if (se === 0) return { statistic: 0, pValue: 1, effectSize };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), effectSize };
}
