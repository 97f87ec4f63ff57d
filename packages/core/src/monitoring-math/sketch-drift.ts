/**
 * Evidently-default drift between a reference profile and a (merged) window summary.
 * Both sides are sketches, so each numeric side is replayed from its log histogram (values within
 * ±1%, bucket masses exact) as a sample of m = min(rows, MAX_REPLAY) points. The method is chosen from the
 * *real* reference row count and distinct-value count (Evidently's rule in stats/drift-method.ts)
 * and passed explicitly, so capping the replay never changes which test runs. Categorical sides
 * are replayed as category codes from their counts (scaled down past MAX_REPLAY, proportions kept).
 * Numeric columns also report PSI on the reference's frozen decile bins.
 */
import { type CategoricalState } from '../sketches/categorical.ts';
import type { KllSketch } from '../sketches/kll.ts';
import { binCounts } from '../stats/binning.ts';
import { replayLogHistogram } from './log-histogram.ts';
import { selectDriftMethod } from '../stats/drift-method.ts';
import { datasetDrift, type DatasetDrift, type DriftColumn, type DriftOptions } from '../stats/drift.ts';
import { psiFromCounts } from '../stats/psi.ts';
import type { ReferenceProfile } from './reference-profile.ts';
import type { FeatureSketch } from './window-summary.ts';

export const MAX_REPLAY = 20_000;

export function replayKll(k: KllSketch, max = MAX_REPLAY): Float64Array {
  const m = Math.min(k.n, max);
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = k.quantile((i + 0.5) / m);
  return out;
}

function distinctCapped(a: Float64Array, b: Float64Array, cap: number): number {
  const s = new Set<number>();
  for (const v of a) { s.add(v); if (s.size > cap) return s.size; }
  for (const v of b) { s.add(v); if (s.size > cap) return s.size; }
  return s.size;
}

function replayCounts(counts: CategoricalState, codeOf: (k: string) => number, otherCode: number, max = MAX_REPLAY): Int32Array {
  const present = counts.total - counts.missing;
  const scale = present > max ? max / present : 1;
  const parts: Array<[number, number]> = Object.entries(counts.counts).map(([k, c]) => [codeOf(k), Math.round(c * scale)]);
  if (counts.other > 0) parts.push([otherCode, Math.round(counts.other * scale)]);
  const out = new Int32Array(parts.reduce((s, [, c]) => s + c, 0));
  let i = 0;
  for (const [code, c] of parts) { out.fill(code, i, i + c); i += c; }
  return out;
}

export interface SketchDrift extends DatasetDrift {
  /** PSI on frozen reference deciles, numeric columns only. */
  psi: Record<string, number>;
  /** Columns in the reference that the window has no rows for. */
  missingColumns: string[];
}

export function driftFromSketches(reference: ReferenceProfile, current: Readonly<Record<string, FeatureSketch>>, options: DriftOptions = {}): SketchDrift {
  const cols: DriftColumn[] = [];
  const psi: Record<string, number> = {};
  const missingColumns: string[] = [];
  for (const [name, ref] of Object.entries(reference.columns)) {
    const cur = current[name];
    if (ref.kind === 'numeric' && cur?.kind === 'numeric' && cur.moments.count > 0 && ref.rows > 0) {
      const r = replayLogHistogram(ref.hist, MAX_REPLAY);
      const c = replayLogHistogram(cur.hist, MAX_REPLAY);
      const method = selectDriftMethod('numeric', ref.rows, distinctCapped(r, c, 5));
      cols.push({ name, kind: 'numeric', reference: r, current: c, method });
      psi[name] = psiFromCounts(binCounts(ref.edges, r), binCounts(ref.edges, c));
    } else if (ref.kind === 'categorical' && cur?.kind === 'categorical' && cur.counts.total > cur.counts.missing && ref.rows > 0) {
      const codes = new Map<string, number>();
      const codeOf = (k: string) => {
        let v = codes.get(k);
        if (v === undefined) { v = codes.size; codes.set(k, v); }
        return v;
      };
      for (const k of Object.keys(ref.counts.counts)) codeOf(k);
      for (const k of Object.keys(cur.counts.counts)) codeOf(k);
      const other = codes.size;
      const nUnique = codes.size + (ref.counts.other + cur.counts.other > 0 ? 1 : 0);
      cols.push({
        name, kind: 'categorical', reference: replayCounts(ref.counts, codeOf, other), current: replayCounts(cur.counts, codeOf, other),
        method: selectDriftMethod('categorical', ref.rows, nUnique),
      });
    } else missingColumns.push(name);
  }
  return { ...datasetDrift(cols, options), psi, missingColumns };
}
