import { InvalidInputError } from '../errors.ts';
import { columnIndex, type RawTable } from '../datasets/raw-table.ts';

/** The cell that marks an unknown value in the source data (UCI convention). */
export const MISSING = '?';

/** A numeric input, standardized as (x − mean) / std; a missing cell becomes the mean (0 after scaling). */
export interface NumericFeature {
  readonly name: string;
  readonly mean: number;
  /** Population standard deviation on the training rows; 1 when the column is constant. */
  readonly std: number;
}

/**
 * A categorical input, one-hot encoded over `categories` (sorted; `?` is a category of its own
 * when the training rows have it). A value never seen in training encodes as all zeros.
 */
export interface CategoricalFeature {
  readonly name: string;
  readonly categories: readonly string[];
}

export interface FeatureSpec {
  readonly numeric: readonly NumericFeature[];
  readonly categorical: readonly CategoricalFeature[];
}

export interface FeatureSpecOptions {
  /** Columns left out (the label at least). */
  readonly exclude: readonly string[];
  /** Columns forced categorical even when every cell parses as a number. */
  readonly categorical?: readonly string[];
}

const isMissing = (cell: string): boolean => cell === MISSING || cell === '';

/** Parses a numeric cell; missing cells and non-numbers give NaN. */
export function parseNumericCell(cell: string): number {
  if (isMissing(cell)) return Number.NaN;
  const v = Number(cell);
  return Number.isFinite(v) ? v : Number.NaN;
}

/**
 * Decides per column: numeric when every non-missing cell is a finite number (and the column is
 * not forced categorical), categorical otherwise. Fits means, stds and category lists.
 */
export function inferFeatureSpec(table: RawTable, options: FeatureSpecOptions): FeatureSpec {
  const numeric: NumericFeature[] = [];
  const categorical: CategoricalFeature[] = [];
  for (const name of table.header) {
    if (options.exclude.includes(name)) continue;
    const j = columnIndex(table, name);
    const cells = table.rows.map((row) => row[j] ?? '');
    const forced = options.categorical?.includes(name) ?? false;
    const looksNumeric = !forced && cells.every((c) => isMissing(c) || Number.isFinite(Number(c)));
    if (looksNumeric) numeric.push(fitNumeric(name, cells));
    else categorical.push({ name, categories: [...new Set(cells)].sort() });
  }
  if (numeric.length + categorical.length === 0) throw new InvalidInputError('no feature columns left after exclusions');
  return { numeric, categorical };
}

function fitNumeric(name: string, cells: readonly string[]): NumericFeature {
  let n = 0;
  let sum = 0;
  for (const c of cells) {
    const v = parseNumericCell(c);
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
  }
  if (n === 0) throw new InvalidInputError(`column "${name}" has no values`);
  const mean = sum / n;
  let ss = 0;
  for (const c of cells) {
    const v = parseNumericCell(c);
    if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  }
  const std = Math.sqrt(ss / n);
  return { name, mean, std: std > 0 ? std : 1 };
}

/**
 * Rows encoded for a linear model without materializing the one-hot block: `dense` holds the
 * standardized numerics row-major (n × numeric.length), `active` the global one-hot column of
 * each categorical cell (n × categorical.length, −1 for an unseen value). One-hot columns come
 * after the numerics, in spec order, so `dim = numeric.length + Σ categories`.
 */
export interface EncodedRows {
  readonly n: number;
  readonly dim: number;
  readonly dense: Float64Array;
  readonly active: Int32Array;
}

export function encodeRows(spec: FeatureSpec, table: RawTable): EncodedRows {
  const n = table.rows.length;
  const p = spec.numeric.length;
  const c = spec.categorical.length;
  const dense = new Float64Array(n * p);
  const active = new Int32Array(n * c);
  spec.numeric.forEach((f, k) => {
    const j = columnIndex(table, f.name);
    for (let i = 0; i < n; i++) {
      const v = parseNumericCell(table.rows[i]?.[j] ?? '');
      dense[i * p + k] = Number.isNaN(v) ? 0 : (v - f.mean) / f.std;
    }
  });
  let offset = p;
  spec.categorical.forEach((f, k) => {
    const j = columnIndex(table, f.name);
    const index = new Map(f.categories.map((cat, i) => [cat, offset + i]));
    for (let i = 0; i < n; i++) active[i * c + k] = index.get(table.rows[i]?.[j] ?? '') ?? -1;
    offset += f.categories.length;
  });
  return { n, dim: offset, dense, active };
}

/** 1 where the label column equals `positiveClass`, else 0. */
export function binaryLabels(table: RawTable, label: string, positiveClass: string): Uint8Array {
  const j = columnIndex(table, label);
  return Uint8Array.from(table.rows, (row) => (row[j] === positiveClass ? 1 : 0));
}
