import { binaryConfusion, logLoss, precisionRecallF1, regressionMetrics, rocAuc, expectedCalibrationError } from '@steward/core';
import type { Predictions } from '../evaluation/predictions.ts';
import type { RowMetric } from './paired-bootstrap.ts';

/**
 * A named metric computed on a resample of rows (indices may repeat), for the paired bootstrap.
 * Returns undefined for metrics it cannot compute on resamples.
 */
export function rowMetric(name: string, p: Predictions): RowMetric | undefined {
  const y = p.labels;
  const gather = (src: ArrayLike<number>, idx: Int32Array) => {
    const out = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]!]!;
    return out;
  };
  if (p.task === 'regression') {
    if (!['mae', 'rmse', 'r2'].includes(name)) return undefined;
    return (s, idx) => regressionMetrics(gather(y, idx), gather(s, idx))[name as 'mae' | 'rmse' | 'r2'];
  }
  if (name === 'accuracy') {
    return (s, idx) => {
      let ok = 0;
      for (const i of idx) ok += (p.task === 'binary' ? (s[i]! >= 0.5 ? 1 : 0) : s[i]) === y[i] ? 1 : 0;
      return ok / idx.length;
    };
  }
  if (p.task !== 'binary') return undefined;
  switch (name) {
    case 'precision':
    case 'recall':
    case 'f1':
      return (s, idx) => precisionRecallF1(binaryConfusion(gather(y, idx), gather(s, idx)))[name];
    case 'rocAuc':
      return (s, idx) => rocAuc(gather(y, idx), gather(s, idx));
    case 'logLoss':
      return (s, idx) => logLoss(gather(y, idx), gather(s, idx));
    case 'ece':
      return (s, idx) => expectedCalibrationError(gather(y, idx), gather(s, idx));
    default:
      return undefined;
  }
}
