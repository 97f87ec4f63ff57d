/**
 * Which drift test a column gets, following Evidently's `_get_default_stattest`
 * (evidently/calculations/stattests/registry.py), with n_unique counted over reference ∪ current
 * (missing values excluded):
 *
 * | reference rows | column      | distinct values | test                         | drift when    |
 * |----------------|-------------|-----------------|------------------------------|---------------|
 * | <= 1000        | numeric     | > 5             | Kolmogorov-Smirnov           | p < 0.05      |
 * | <= 1000        | numeric     | 3..5            | chi-squared                  | p < 0.05      |
 * | <= 1000        | numeric     | <= 2            | two-proportion z-test        | p < 0.05      |
 * | <= 1000        | categorical | > 2             | chi-squared                  | p < 0.05      |
 * | <= 1000        | categorical | <= 2            | two-proportion z-test        | p < 0.05      |
 * | > 1000         | numeric     | > 5             | Wasserstein / std(reference) | score >= 0.1  |
 * | > 1000         | numeric     | <= 5            | Jensen-Shannon distance      | score >= 0.1  |
 * | > 1000         | categorical | any             | Jensen-Shannon distance      | score >= 0.1  |
 *
 * PSI (reference deciles, 0.0001 floor, drift when >= 0.1) is available by explicit choice.
 * Dataset drift: at least half of the columns drift (Evidently `drift_share` = 0.5).
 */
export type ColumnKind = 'numeric' | 'categorical';
export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

/** Evidently's default thresholds; p-value tests drift below, distances at or above. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

export const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chisquare', 'z']);

/** Reference sizes up to this use hypothesis tests, above it distances (Evidently). */
export const SMALL_REFERENCE_ROWS = 1000;

export function selectDriftMethod(kind: ColumnKind, referenceRows: number, nUnique: number): DriftMethod {
  if (referenceRows <= SMALL_REFERENCE_ROWS) {
    if (kind === 'numeric' && nUnique > 5) return 'ks';
    return nUnique > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric' && nUnique > 5) return 'wasserstein';
  return 'jensenshannon';
}
