import { normalCdf, normalSf } from '@steward/core';

/** Successes out of trials for one variant (e.g. errors out of requests). */
export interface Proportion {
  successes: number;
  trials: number;
}

export interface ZTestResult {
  /** Proportions of control (a) and treatment (b). */
  pA: number;
  pB: number;
  /** Absolute effect pB − pA, and its 95 % Wald interval (unpooled standard error). */
  diff: number;
  ci95: [number, number];
  /** Relative effect (pB − pA) / pA; null when pA is 0. */
  lift: number | null;
  /** Cohen's h = 2·asin√pB − 2·asin√pA: effect size on a variance-stabilised scale. */
  cohensH: number;
  /** Pooled two-proportion z statistic and its two-sided p-value. */
  z: number;
  pValue: number;
}

const Z975 = 1.959963984540054; // Φ⁻¹(0.975)

/**
 * Pooled two-proportion z-test (as statsmodels `proportions_ztest`, two-sided). The normal
 * approximation needs enough events: callers should require e.g. ≥ 10 successes and failures per
 * arm before acting on the p-value. Returns null when either arm has no trials.
 */
export function twoProportionZTest(a: Proportion, b: Proportion): ZTestResult | null {
  if (a.trials <= 0 || b.trials <= 0) return null;
  const pA = a.successes / a.trials;
  const pB = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const diff = pB - pA;
  // Identical degenerate arms (all 0 % or all 100 %): no evidence of a difference.
  const z = se === 0 ? 0 : diff / se;
  const pValue = Math.min(1, 2 * normalSf(Math.abs(z)));
  const seU = Math.sqrt((pA * (1 - pA)) / a.trials + (pB * (1 - pB)) / b.trials);
  return {
    pA,
    pB,
    diff,
    ci95: [diff - Z975 * seU, diff + Z975 * seU],
    lift: pA === 0 ? null : diff / pA,
    cohensH: 2 * Math.asin(Math.sqrt(pB)) - 2 * Math.asin(Math.sqrt(pA)),
    z,
    pValue,
  };
}

/** Normal CDF re-exported for callers that report one-sided probabilities. */
export { normalCdf };
