import { binaryClassificationMetrics, type BinaryMetricOptions, type BinaryMetrics } from './binary.ts';
import { calibration, DEFAULT_ECE_BINS, type CalibrationBin } from './calibration.ts';
import { fairnessByColumn, type EncodedGroups, type FairnessReport } from './fairness.ts';
import type { NumericArray } from './validate.ts';

export interface BinaryEvaluation {
  readonly metrics: BinaryMetrics;
  /** Reliability table behind `metrics.ece`. */
  readonly calibration: readonly CalibrationBin[];
  /** Per sensitive column name. */
  readonly fairness: Record<string, FairnessReport>;
}

/**
 * Everything the built-in evaluation gate reports for a binary classifier on one dataset:
 * classification metrics at `threshold`, the calibration table and, per sensitive column,
 * group rates and Fairlearn disparities at the same threshold.
 * @example
 * evaluateBinaryClassifier(labels, probs, { sex: sexColumn }).fairness.sex.demographicParityDifference
 */
export function evaluateBinaryClassifier(
  yTrue: NumericArray,
  probs: NumericArray,
  sensitive: Readonly<Record<string, EncodedGroups | readonly string[]>> = {},
  options: BinaryMetricOptions = {},
): BinaryEvaluation {
  const metrics = binaryClassificationMetrics(yTrue, probs, options);
  return {
    metrics,
    calibration: calibration(yTrue, probs, options.eceBins ?? DEFAULT_ECE_BINS).bins,
    fairness: fairnessByColumn(yTrue, probs, sensitive, metrics.threshold),
  };
}
