import { InvalidInputError, parseCsv, type RawTable } from '@steward/core';
import type { ColumnType, DatasetFormat, DatasetSchema, Task } from '@steward/core/api';

export type { ColumnType, DatasetFormat, DatasetSchema, Task };

/** JSON Lines: one object per line; the header is the keys of the first object, in order. */
export function parseJsonl(text: string): RawTable {
  const rows: string[][] = [];
  let header: string[] | undefined;
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`JSONL line ${i + 1} is not valid JSON`, { line: i + 1 }, 'invalid_dataset');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new InvalidInputError(`JSONL line ${i + 1} is not an object`, { line: i + 1 }, 'invalid_dataset');
    header ??= Object.keys(obj);
    rows.push(header.map((k) => cell((obj as Record<string, unknown>)[k])));
  });
  if (!header) throw new InvalidInputError('JSONL dataset is empty', {}, 'invalid_dataset');
  return { header, rows };
}

const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function parseDataset(bytes: Uint8Array, format: DatasetFormat): RawTable {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  try {
    return format === 'csv' ? parseCsv(text) : parseJsonl(text);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new InvalidInputError(`dataset: ${err.message}`, err.details, 'invalid_dataset');
    throw err;
  }
}

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const isMissing = (c: string) => c === '' || c === '?';

/** A column is numeric when every present cell parses as a decimal number. */
export function inferColumns(table: RawTable): { name: string; type: ColumnType }[] {
  return table.header.map((name, j) => {
    let numeric = true;
    for (const r of table.rows) {
      const c = (r[j] ?? '').trim();
      if (!isMissing(c) && !NUMERIC.test(c)) {
        numeric = false;
        break;
      }
    }
    return { name, type: numeric ? 'number' : 'string' };
  });
}

/**
 * Builds and checks the schema: label and sensitive columns must exist; the task follows from
 * the label unless given (two distinct values → binary, numeric with more → regression, else
 * multiclass). The positive class defaults to `1` for 0/1 labels, else the last value in sort order.
 */
export function buildSchema(table: RawTable, opts: { label: string; sensitive?: string[]; features?: string[]; task?: Task; positiveClass?: string }): DatasetSchema {
  const columns = inferColumns(table);
  const has = (c: string) => table.header.includes(c);
  for (const c of [opts.label, ...(opts.sensitive ?? []), ...(opts.features ?? [])]) {
    if (!has(c)) throw new InvalidInputError(`dataset has no column "${c}" (have: ${table.header.join(', ')})`, { column: c }, 'invalid_dataset');
  }
  const j = table.header.indexOf(opts.label);
  const values = [...new Set(table.rows.map((r) => r[j] ?? ''))].filter((v) => !isMissing(v)).sort();
  const labelType = columns[j]!.type;
  const task: Task = opts.task ?? (values.length === 2 ? 'binary' : labelType === 'number' && values.length > 20 ? 'regression' : 'multiclass');
  const sensitive = opts.sensitive ?? [];
  const features = opts.features ?? table.header.filter((c) => c !== opts.label && !sensitive.includes(c));
  const schema: DatasetSchema = { columns, label: opts.label, features, sensitive, task };
  if (task === 'binary') {
    const positive = opts.positiveClass ?? (values.includes('1') && values.includes('0') ? '1' : values[values.length - 1]);
    if (positive === undefined || !values.includes(positive)) {
      throw new InvalidInputError(`positive class "${positive}" does not occur in label "${opts.label}" (values: ${values.slice(0, 10).join(', ')})`, {}, 'invalid_dataset');
    }
    schema.positiveClass = positive;
  } else if (task === 'multiclass') {
    schema.classes = values;
  } else if (labelType !== 'number') {
    throw new InvalidInputError(`regression needs a numeric label; "${opts.label}" has text values`, {}, 'invalid_dataset');
  }
  return schema;
}
