/** ONNX export of trained learners (graph includes preprocessing: raw columns in, probability out). */
export { exportLogisticRegressionToOnnx, PROBABILITY_OUTPUT, type OnnxExportOptions } from './export-logistic-regression.ts';
