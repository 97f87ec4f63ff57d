import type { LogisticRegressionModel } from '../learners/logistic-regression.ts';
import { ML_DOMAIN, floatTensor, node, onnx, valueInfo, type OnnxNode, type OnnxTensor } from './onnx-builder.ts';

/** Name of the graph output: the probability of `positiveClass`, float32 [N, 1]. */
export const PROBABILITY_OUTPUT = 'probability';

export interface OnnxExportOptions {
  /** Stored in the model's `producer_version`. */
  readonly producerVersion?: string;
  readonly docString?: string;
}

/**
 * Exports a logistic regression with its preprocessing, so the file alone maps raw rows to a
 * probability. Inputs: one per raw column, named as the column — numeric float32 [N, 1]
 * (NaN = missing), categorical string [N, 1]. Graph:
 *
 *   numerics ─Concat─► Imputer(NaN → training mean) ─► Scaler((x − mean) / std) ─► MatMul(w)
 *   each categorical ─► LabelEncoder(category → its one-hot weight, unseen → 0)
 *   Sum(all terms, intercept) ─► Sigmoid ─► probability
 *
 * A LabelEncoder to the category's weight equals OneHotEncoder followed by a dot product, with
 * one node instead of three. Weights are stored as float32 (ONNX ML attributes have no double),
 * so probabilities agree with `predictProba` to about 1e-6.
 * Opsets: ai.onnx 13, ai.onnx.ml 2; IR version 7 (onnxruntime ≥ 1.7).
 */
export function exportLogisticRegressionToOnnx(model: LogisticRegressionModel, options: OnnxExportOptions = {}): Uint8Array {
  const { numeric, categorical } = model.spec;
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [floatTensor('steward/intercept', [1], [model.intercept])];
  const terms: string[] = ['steward/intercept'];
  if (numeric.length > 0) {
    nodes.push(
      node({ op: 'Concat', inputs: numeric.map((f) => f.name), outputs: ['steward/numeric_raw'], attributes: { axis: 1 } }),
      node({
        op: 'Imputer',
        domain: ML_DOMAIN,
        inputs: ['steward/numeric_raw'],
        outputs: ['steward/numeric_imputed'],
        attributes: { imputed_value_floats: { floats: numeric.map((f) => f.mean) }, replaced_value_float: Number.NaN },
        floatAttributes: ['replaced_value_float'],
      }),
      node({
        op: 'Scaler',
        domain: ML_DOMAIN,
        inputs: ['steward/numeric_imputed'],
        outputs: ['steward/numeric_scaled'],
        attributes: { offset: { floats: numeric.map((f) => f.mean) }, scale: { floats: numeric.map((f) => 1 / f.std) } },
      }),
      node({ op: 'MatMul', inputs: ['steward/numeric_scaled', 'steward/numeric_weights'], outputs: ['steward/numeric_term'] }),
    );
    initializers.push(floatTensor('steward/numeric_weights', [numeric.length, 1], model.numericWeights));
    terms.push('steward/numeric_term');
  }
  categorical.forEach((f, k) => {
    const out = `steward/term/${f.name}`;
    nodes.push(
      node({
        op: 'LabelEncoder',
        domain: ML_DOMAIN,
        inputs: [f.name],
        outputs: [out],
        attributes: {
          keys_strings: f.categories,
          values_floats: { floats: model.categoricalWeights[k] ?? [] },
          default_float: 0,
        },
        floatAttributes: ['default_float'],
      }),
    );
    terms.push(out);
  });
  nodes.push(
    node({ op: 'Sum', inputs: terms, outputs: ['steward/logit'] }),
    node({ op: 'Sigmoid', inputs: ['steward/logit'], outputs: [PROBABILITY_OUTPUT] }),
  );
  const graph = onnx.GraphProto.create({
    name: `logistic-regression(${model.label} = ${model.positiveClass})`,
    node: nodes,
    initializer: initializers,
    input: [
      ...numeric.map((f) => valueInfo(f.name, 'float', ['N', 1])),
      ...categorical.map((f) => valueInfo(f.name, 'string', ['N', 1])),
    ],
    output: [valueInfo(PROBABILITY_OUTPUT, 'float', ['N', 1])],
  });
  const proto = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'steward',
    producerVersion: options.producerVersion ?? '0.1.0',
    docString: options.docString ?? `P(${model.label} = ${model.positiveClass}) from raw columns`,
    opsetImport: [
      { domain: '', version: 13 },
      { domain: ML_DOMAIN, version: 2 },
    ],
    graph,
    metadataProps: [
      { key: 'steward.kind', value: model.kind },
      { key: 'steward.label', value: model.label },
      { key: 'steward.positive_class', value: model.positiveClass },
    ],
  });
  return onnx.ModelProto.encode(proto).finish();
}
