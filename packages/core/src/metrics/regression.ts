import { InvalidInputError } from '../errors.ts';
import { assertSameLength, type NumericArray } from './validate.ts';

export interface RegressionMetrics {
  readonly n: number;
  readonly mae: number;
  readonly rmse: number;
  /**
   * 1 − SS_res / SS_tot. When the targets are constant (SS_tot = 0) it is 1 for a perfect fit
   * and 0 otherwise, as sklearn's r2_score does.
   */
  readonly r2: number;
}

/**
 * MAE, RMSE and R² in two passes (the mean first, so SS_tot does not lose precision to the
 * Σy² − n·ȳ² cancellation).
 */
export function regressionMetrics(yTrue: NumericArray, yPred: NumericArray): RegressionMetrics {
  assertSameLength('regressionMetrics', yTrue, yPred);
  const n = yTrue.length;
  let sumY = 0;
  for (let i = 0; i < n; i++) sumY += yTrue[i] as number;
  const mean = sumY / n;
  let abs = 0;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i] as number;
    const e = y - (yPred[i] as number);
    if (Number.isNaN(e)) throw new InvalidInputError(`regressionMetrics: NaN at row ${i}`);
    abs += Math.abs(e);
    ssRes += e * e;
    ssTot += (y - mean) * (y - mean);
  }
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { n, mae: abs / n, rmse: Math.sqrt(ssRes / n), r2 };
}
