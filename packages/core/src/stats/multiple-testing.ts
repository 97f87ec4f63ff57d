/**
 * Multiple-comparison corrections across the columns of one drift run. Inputs are raw p-values,
 * outputs adjusted p-values in the same order, compared against the unchanged threshold:
 * - Bonferroni: min(1, m·p), controls the family-wise error rate.
 * - Benjamini-Hochberg: step-up adjusted p (statsmodels `fdr_bh`), controls the false discovery rate.
 * NaN p-values (columns scored by a distance, not a test) pass through and do not count in m.
 */
export type Correction = 'none' | 'bonferroni' | 'benjamini-hochberg';

export function bonferroni(pValues: readonly number[]): number[] {
  const m = pValues.filter((p) => !Number.isNaN(p)).length;
  return pValues.map((p) => (Number.isNaN(p) ? p : Math.min(1, p * m)));
}

export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const idx = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  idx.sort((a, b) => a[0] - b[0]);
  const m = idx.length;
  const out = pValues.slice();
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = idx[r] as readonly [number, number];
    running = Math.min(running, (p * m) / (r + 1));
    out[i] = running;
  }
  return out;
}

export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  if (correction === 'bonferroni') return bonferroni(pValues);
  if (correction === 'benjamini-hochberg') return benjaminiHochberg(pValues);
  return pValues.slice();
}
