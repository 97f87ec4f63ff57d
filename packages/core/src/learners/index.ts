/** Learners over raw tables. Today: L2 logistic regression (Newton/IRLS) with standardize + one-hot. */
export {
  trainLogisticRegression, predictProba, predictLogit,
  type LogisticRegressionModel, type LogisticRegressionOptions,
} from './logistic-regression.ts';
export {
  inferFeatureSpec, encodeRows, binaryLabels, parseNumericCell, MISSING as MISSING_CELL,
  type FeatureSpec, type NumericFeature, type CategoricalFeature, type FeatureSpecOptions, type EncodedRows,
} from './feature-spec.ts';
