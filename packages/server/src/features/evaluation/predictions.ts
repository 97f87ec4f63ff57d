import { InvalidInputError, type RawTable } from '@steward/core';
import type { DatasetSchema } from '../datasets/dataset-table.ts';
import type { OnnxRunner } from './onnx-runner.ts';

/**
 * One model's outputs on one dataset, with the labels encoded for the task:
 * binary → 0/1 labels and P(positive); multiclass → class indices and an n×k matrix;
 * regression → numeric targets and predicted values.
 */
export interface Predictions {
  task: DatasetSchema['task'];
  n: number;
  labels: Float64Array;
  /** Binary: probability of the positive class; regression: the value; multiclass: argmax index. */
  scores: Float64Array;
  /** Multiclass only: row-major n × classes probabilities. */
  matrix?: Float64Array;
  classes?: string[];
}

export function encodeLabels(schema: DatasetSchema, table: RawTable): Float64Array {
  const j = table.header.indexOf(schema.label);
  if (j < 0) throw new InvalidInputError(`dataset has no label column "${schema.label}"`);
  const n = table.rows.length;
  const y = new Float64Array(n);
  const index = new Map((schema.classes ?? []).map((c, i) => [c, i]));
  for (let i = 0; i < n; i++) {
    const cell = table.rows[i]![j] ?? '';
    if (schema.task === 'binary') y[i] = cell === schema.positiveClass ? 1 : 0;
    else if (schema.task === 'regression') y[i] = Number(cell);
    else {
      const k = index.get(cell);
      if (k === undefined) throw new InvalidInputError(`row ${i + 1}: label "${cell}" is not one of the dataset's classes`);
      y[i] = k;
    }
  }
  return y;
}

export async function predict(runner: OnnxRunner, schema: DatasetSchema, table: RawTable): Promise<Predictions> {
  const labels = encodeLabels(schema, table);
  const n = table.rows.length;
  if (schema.task === 'binary') return { task: 'binary', n, labels, scores: await runner.score(table) };
  const { data, width } = await runner.scoreMatrix(table);
  if (schema.task === 'regression') {
    if (width !== 1) throw new InvalidInputError(`regression model outputs ${width} values per row; expected 1`);
    return { task: 'regression', n, labels, scores: data };
  }
  const k = schema.classes?.length ?? 0;
  if (width !== k) throw new InvalidInputError(`model outputs ${width} values per row but the dataset has ${k} classes`);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (data[i * k + c]! > data[i * k + best]!) best = c;
    scores[i] = best;
  }
  return { task: 'multiclass', n, labels, scores, matrix: data, classes: schema.classes ?? [] };
}

/** Row-level correctness, for McNemar: binary at threshold 0.5, multiclass argmax. */
export function correctness(p: Predictions, threshold = 0.5): Uint8Array {
  const out = new Uint8Array(p.n);
  for (let i = 0; i < p.n; i++) {
    const pred = p.task === 'binary' ? (p.scores[i]! >= threshold ? 1 : 0) : p.scores[i]!;
    out[i] = pred === p.labels[i] ? 1 : 0;
  }
  return out;
}
