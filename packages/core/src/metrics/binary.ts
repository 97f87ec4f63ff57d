import { InvalidInputError } from '../errors.ts';
import { DEFAULT_ECE_BINS, expectedCalibrationError } from './calibration.ts';
import { rocAuc } from './roc-auc.ts';
import { assertBinaryLabels, assertSameLength, safeDivide, type NumericArray } from './validate.ts';

/**
 * Probabilities are clipped to [eps, 1 − eps] before the logarithm so one confident mistake
 * costs −ln(1e-15) ≈ 34.5 instead of Infinity (the same eps sklearn used for years).
 */
export const LOG_LOSS_EPS = 1e-15;

/** A row is predicted positive when its score is >= the threshold. */
export const DEFAULT_THRESHOLD = 0.5;

export interface BinaryConfusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface BinaryMetrics {
  readonly n: number;
  readonly threshold: number;
  readonly confusion: BinaryConfusion;
  readonly accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted positive (sklearn zero_division=0). */
  readonly precision: number;
  /** tp / (tp + fn); 0 when there are no positives. */
  readonly recall: number;
  readonly f1: number;
  /** NaN when only one class is present. */
  readonly rocAuc: number;
  readonly logLoss: number;
  readonly ece: number;
}

export interface BinaryMetricOptions {
  readonly threshold?: number;
  readonly eps?: number;
  readonly eceBins?: number;
}

/** Confusion counts at a threshold in one pass. */
export function binaryConfusion(yTrue: NumericArray, scores: NumericArray, threshold = DEFAULT_THRESHOLD): BinaryConfusion {
  assertSameLength('binaryConfusion', yTrue, scores);
  let tp = 0;
  let fp = 0;
  let pos = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i];
    if (y === 1) pos++;
    if ((scores[i] as number) >= threshold) {
      if (y === 1) tp++;
      else fp++;
    }
  }
  return { tp, fp, fn: pos - tp, tn: yTrue.length - pos - fp };
}

/** Mean negative log-likelihood of binary labels under probabilities clipped to [eps, 1-eps]. */
export function logLoss(yTrue: NumericArray, probs: NumericArray, eps = LOG_LOSS_EPS): number {
  assertSameLength('logLoss', yTrue, probs);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const raw = probs[i] as number;
    if (Number.isNaN(raw)) throw new InvalidInputError(`logLoss: probability at row ${i} is NaN`);
    const p = raw < eps ? eps : raw > 1 - eps ? 1 - eps : raw;
    sum -= yTrue[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / yTrue.length;
}

/** Precision, recall and F1 from confusion counts (zero_division = 0). */
export function precisionRecallF1(c: BinaryConfusion): { precision: number; recall: number; f1: number } {
  const precision = safeDivide(c.tp, c.tp + c.fp, 0);
  const recall = safeDivide(c.tp, c.tp + c.fn, 0);
  // 2tp / (2tp + fp + fn) equals the harmonic mean and stays defined when P = R = 0.
  const f1 = safeDivide(2 * c.tp, 2 * c.tp + c.fp + c.fn, 0);
  return { precision, recall, f1 };
}

/**
 * Every binary classification metric of the built-in evaluation. `yTrue` holds 0/1 labels,
 * `probs` the predicted probability of class 1.
 * @example binaryClassificationMetrics([0, 1, 1], [0.2, 0.7, 0.4]).rocAuc // 1
 */
export function binaryClassificationMetrics(
  yTrue: NumericArray,
  probs: NumericArray,
  options: BinaryMetricOptions = {},
): BinaryMetrics {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  assertSameLength('binaryClassificationMetrics', yTrue, probs);
  assertBinaryLabels('binaryClassificationMetrics', yTrue);
  const confusion = binaryConfusion(yTrue, probs, threshold);
  return {
    n: yTrue.length,
    threshold,
    confusion,
    accuracy: (confusion.tp + confusion.tn) / yTrue.length,
    ...precisionRecallF1(confusion),
    rocAuc: rocAuc(yTrue, probs),
    logLoss: logLoss(yTrue, probs, options.eps ?? LOG_LOSS_EPS),
    ece: expectedCalibrationError(yTrue, probs, options.eceBins ?? DEFAULT_ECE_BINS),
  };
}
