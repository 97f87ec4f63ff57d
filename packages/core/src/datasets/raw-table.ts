import { InvalidInputError } from '../errors.ts';

/**
 * A table of raw, untyped cells as they come from a CSV file or a request body: the learners
 * and the ONNX runner decide per column whether a cell is a number or a category.
 * Invariant: every row has `header.length` cells.
 */
export interface RawTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Index of a column by name; throws when absent so callers never read column -1. */
export function columnIndex(table: RawTable, name: string): number {
  const index = table.header.indexOf(name);
  if (index < 0) throw new InvalidInputError(`column "${name}" not found (have: ${table.header.join(', ')})`);
  return index;
}

/** All cells of one column, in row order. */
export function columnValues(table: RawTable, name: string): string[] {
  const index = columnIndex(table, name);
  return table.rows.map((row) => row[index] ?? '');
}
