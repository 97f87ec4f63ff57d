import { chi2Sf, logBinomial } from '@steward/core';

export interface McNemarResult {
  /** Rows the baseline got right and the candidate got wrong. */
  readonly b: number;
  /** Rows the baseline got wrong and the candidate got right. */
  readonly c: number;
  readonly statistic: number;
  /** Two-sided p-value. */
  readonly pValue: number;
  readonly exact: boolean;
}

/** Below this many discordant pairs the chi-squared approximation is poor; use the exact binomial test. */
export const MCNEMAR_EXACT_BELOW = 25;

/**
 * McNemar's test on paired correctness (the same rows scored by two models). Exact: two-sided
 * binomial test of min(b, c) under Binomial(b + c, 1/2) (statsmodels `mcnemar(exact=True)`).
 * Otherwise chi-squared with Edwards' continuity correction, (|b − c| − 1)² / (b + c), 1 dof.
 */
export function mcnemar(baselineCorrect: ArrayLike<boolean | number>, candidateCorrect: ArrayLike<boolean | number>): McNemarResult {
  if (baselineCorrect.length !== candidateCorrect.length) throw new RangeError('mcnemar: both models must score the same rows');
  let b = 0;
  let c = 0;
  for (let i = 0; i < baselineCorrect.length; i++) {
    const base = Boolean(baselineCorrect[i]);
    const cand = Boolean(candidateCorrect[i]);
    if (base && !cand) b++;
    else if (!base && cand) c++;
  }
  return mcnemarFromCounts(b, c);
}

export function mcnemarFromCounts(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, statistic: 0, pValue: 1, exact: true };
  if (n < MCNEMAR_EXACT_BELOW) {
    const k = Math.min(b, c);
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logBinomial(n, i) - n * Math.LN2);
    return { b, c, statistic: k, pValue: Math.min(1, 2 * tail), exact: true };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { b, c, statistic, pValue: chi2Sf(statistic, 1), exact: false };
}
