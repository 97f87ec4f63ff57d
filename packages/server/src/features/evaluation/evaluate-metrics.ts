import {
  calibration,
  encodeGroups,
  evaluateBinaryClassifier,
  multiclassClassificationMetrics,
  regressionMetrics,
  type CalibrationBin,
  type FairnessReport,
  type RawTable,
} from '@steward/core';
import type { DatasetSchema } from '../datasets/dataset-table.ts';
import type { Predictions } from './predictions.ts';

export interface EvaluationResult {
  task: DatasetSchema['task'];
  n: number;
  /** Flat numbers, so gates and filters read them by name (`accuracy`, `f1`, `rocAuc`, `rmse`…). */
  metrics: Record<string, number>;
  calibration?: CalibrationBin[];
  /** Per sensitive column (binary tasks): Fairlearn group rates and disparities. */
  fairness?: Record<string, FairnessReport>;
}

/** Task-appropriate metrics for predictions on a dataset; fairness per sensitive column. */
export function evaluatePredictions(p: Predictions, schema: DatasetSchema, table: RawTable): EvaluationResult {
  if (p.task === 'binary') {
    const sensitive: Record<string, ReturnType<typeof encodeGroups>> = {};
    for (const col of schema.sensitive) {
      const j = table.header.indexOf(col);
      sensitive[col] = encodeGroups(table.rows.map((r) => r[j] ?? ''));
    }
    const e = evaluateBinaryClassifier(p.labels, p.scores, sensitive);
    const { accuracy, precision, recall, f1, rocAuc, logLoss, ece } = e.metrics;
    return { task: 'binary', n: p.n, metrics: { accuracy, precision, recall, f1, rocAuc, logLoss, ece }, calibration: [...e.calibration], fairness: e.fairness };
  }
  if (p.task === 'regression') {
    const r = regressionMetrics(p.labels, p.scores);
    return { task: 'regression', n: p.n, metrics: { mae: r.mae, rmse: r.rmse, r2: r.r2 } };
  }
  const k = p.classes?.length ?? 0;
  const m = multiclassClassificationMetrics(p.labels, p.matrix!, k);
  // Top-class calibration: confidence of the argmax against whether it was right.
  const conf = new Float64Array(p.n);
  const hit = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    conf[i] = p.matrix![i * k + p.scores[i]!]!;
    hit[i] = p.scores[i] === p.labels[i] ? 1 : 0;
  }
  const cal = calibration(hit, conf);
  return {
    task: 'multiclass',
    n: p.n,
    metrics: { accuracy: m.accuracy, macroPrecision: m.macro.precision, macroRecall: m.macro.recall, macroF1: m.macro.f1, logLoss: m.logLoss, rocAucMacro: m.rocAucMacro, ece: cal.ece },
    calibration: [...cal.bins],
  };
}

/** Metrics where lower is better; every other metric is higher-is-better. */
export const LOWER_IS_BETTER = new Set(['logLoss', 'ece', 'mae', 'rmse', 'mse', 'latencyP95Ms']);
