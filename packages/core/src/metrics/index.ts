/** Evaluation metrics: classification, regression, calibration, Fairlearn fairness. Pure, typed-array friendly. */
export {
  binaryClassificationMetrics, binaryConfusion, logLoss, precisionRecallF1, LOG_LOSS_EPS, DEFAULT_THRESHOLD,
  type BinaryConfusion, type BinaryMetrics, type BinaryMetricOptions,
} from './binary.ts';
export { rocAuc } from './roc-auc.ts';
export {
  calibration, expectedCalibrationError, calibrationBinIndex, DEFAULT_ECE_BINS, type CalibrationBin,
} from './calibration.ts';
export {
  multiclassClassificationMetrics, multiclassConfusion, multiclassScores,
  type MulticlassMetrics, type MulticlassScores, type ClassScores,
} from './multiclass.ts';
export { regressionMetrics, type RegressionMetrics } from './regression.ts';
export {
  fairnessMetrics, fairnessByColumn, encodeGroups, type FairnessReport, type GroupRates, type EncodedGroups,
} from './fairness.ts';
export { evaluateBinaryClassifier, type BinaryEvaluation } from './evaluate.ts';
export type { NumericArray } from './validate.ts';
