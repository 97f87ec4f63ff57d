/**
 * Population Stability Index over frozen reference bins:
 *   PSI = Σ_b (cur_b - ref_b) · ln(cur_b / ref_b),  shares floored at 0.0001 so empty bins stay finite.
 * Conventional reading (and Evidently's default threshold): < 0.1 stable, >= 0.1 drift, >= 0.25 major.
 */
import { binCounts, decileEdges } from './binning.ts';

export const PSI_FLOOR = 0.0001;

export function psiFromCounts(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>, floor = PSI_FLOOR): number {
  if (referenceCounts.length !== currentCounts.length) throw new RangeError('bin counts must have equal length');
  let rt = 0;
  let ct = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    rt += referenceCounts[i] as number;
    ct += currentCounts[i] as number;
  }
  let psi = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const r = Math.max((referenceCounts[i] as number) / rt, floor);
    const c = Math.max((currentCounts[i] as number) / ct, floor);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** PSI of raw samples on the reference deciles (deduplicated edges). */
export function psiOnDeciles(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  const sorted = Float64Array.from(reference).sort();
  const edges = decileEdges(sorted);
  return psiFromCounts(binCounts(edges, sorted), binCounts(edges, current));
}
