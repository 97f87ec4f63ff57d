/**
 * A version's reference profile: the same sketches a window keeps, built once from its training or
 * evaluation dataset, plus frozen decile edges per numeric column (deduplicated, so PSI bins never
 * move) and, when the dataset carries labels and scores, the reference performance and calibration.
 * Numeric columns use a large KLL (k = 2048), which stays exact up to ~2000 rows, so Evidently's
 * small-reference hypothesis tests see the real values.
 */
import type { RawTable } from '../datasets/raw-table.ts';
import { parseNumericCell } from '../learners/feature-spec.ts';
import { binaryClassificationMetrics } from '../metrics/binary.ts';
import { expectedCalibrationError } from '../metrics/calibration.ts';
import { addCategory, emptyCategorical, type CategoricalState } from '../sketches/categorical.ts';
import { KllSketch, type KllJSON } from '../sketches/kll.ts';
import { momentsOf, momentsToJSON } from '../sketches/moments.ts';
import { decileEdges } from '../stats/binning.ts';
import { addToLogHistogram, emptyLogHistogram, type LogHistogram } from './log-histogram.ts';

export const REFERENCE_KLL_K = 2048;
/** Reference scores count as calibrated when ECE (10 equal bins) is at most this. */
export const DEFAULT_MAX_ECE = 0.05;

export type ReferenceColumn =
  | { kind: 'numeric'; rows: number; missing: number; kll: KllJSON; moments: Record<string, number | null>; edges: number[]; hist: LogHistogram }
  | { kind: 'categorical'; rows: number; counts: CategoricalState };

export interface ReferencePerformance {
  rows: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
  logLoss: number;
  ece: number;
  calibrated: boolean;
}

export interface ReferenceProfile {
  rows: number;
  columns: Record<string, ReferenceColumn>;
  /** Present when the dataset had a label column and a score column. */
  performance?: ReferencePerformance;
  /** Share of positive labels, when labelled. */
  positiveRate?: number;
}

export interface ReferenceOptions {
  /** Label column (excluded from features). */
  label?: string;
  positiveClass?: string;
  /** Column with the model's P(positive) for each row (excluded from features). */
  score?: string;
  /** Columns to profile; default every column but label and score. */
  features?: readonly string[];
  /** Force these columns categorical even if numeric-looking. */
  categorical?: readonly string[];
  threshold?: number;
  maxEce?: number;
}

export function buildReferenceProfile(table: RawTable, o: ReferenceOptions = {}): ReferenceProfile {
  const skip = new Set([o.label, o.score].filter((x): x is string => x !== undefined));
  const names = o.features ?? table.header.filter((h) => !skip.has(h));
  const columns: Record<string, ReferenceColumn> = {};
  for (const name of names) {
    const j = table.header.indexOf(name);
    if (j < 0) continue;
    const cells = table.rows.map((r) => r[j] ?? '');
    const numeric = !o.categorical?.includes(name) && cells.every((c) => c === '' || c === '?' || Number.isFinite(Number(c)));
    if (numeric) {
      const values = cells.map(parseNumericCell);
      const present = values.filter((v) => !Number.isNaN(v));
      const kll = new KllSketch(REFERENCE_KLL_K);
      const hist = emptyLogHistogram();
      for (const v of present) {
        kll.update(v);
        addToLogHistogram(hist, v);
      }
      const sorted = Float64Array.from(present).sort();
      columns[name] = {
        kind: 'numeric', rows: present.length, missing: values.length - present.length, kll: kll.toJSON(),
        moments: momentsToJSON(momentsOf(values)), edges: sorted.length ? decileEdges(sorted) : [], hist,
      };
    } else {
      const counts = emptyCategorical();
      for (const c of cells) addCategory(counts, c === '' || c === '?' ? null : c);
      columns[name] = { kind: 'categorical', rows: counts.total - counts.missing, counts };
    }
  }
  const profile: ReferenceProfile = { rows: table.rows.length, columns };
  if (o.label !== undefined) {
    const li = table.header.indexOf(o.label);
    if (li >= 0) {
      const pos = o.positiveClass ?? '1';
      const y = Uint8Array.from(table.rows, (r) => ((r[li] ?? '').trim() === pos ? 1 : 0));
      profile.positiveRate = y.reduce((s, v) => s + v, 0) / Math.max(1, y.length);
      const si = o.score !== undefined ? table.header.indexOf(o.score) : -1;
      if (si >= 0) {
        const p = Float64Array.from(table.rows, (r) => Number(r[si]));
        const m = binaryClassificationMetrics(y, p, { threshold: o.threshold ?? 0.5 });
        const ece = expectedCalibrationError(y, p);
        profile.performance = {
          rows: y.length, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, rocAuc: m.rocAuc, logLoss: m.logLoss,
          ece, calibrated: ece <= (o.maxEce ?? DEFAULT_MAX_ECE),
        };
      }
    }
  }
  return profile;
}
