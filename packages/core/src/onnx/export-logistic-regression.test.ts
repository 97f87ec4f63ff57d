import { describe, expect, it } from 'vitest';
import { trainLogisticRegression } from '../learners/logistic-regression.ts';
import { exportLogisticRegressionToOnnx, PROBABILITY_OUTPUT } from './export-logistic-regression.ts';
import { onnx } from './onnx-builder.ts';

const table = {
  header: ['age', 'color', 'y'],
  rows: [
    ['30', 'red', 'yes'],
    ['40', 'blue', 'no'],
    ['?', '?', 'yes'],
    ['55', 'red', 'no'],
    ['23', 'blue', 'yes'],
  ],
};

describe('exportLogisticRegressionToOnnx', () => {
  const model = trainLogisticRegression(table, { label: 'y', positiveClass: 'yes', l2: 0.1 });
  const decoded = onnx.ModelProto.decode(exportLogisticRegressionToOnnx(model));
  const graph = decoded.graph as InstanceType<typeof onnx.GraphProto>;
  const utf8 = new TextDecoder();

  it('declares one raw input per column and a probability output', () => {
    const T = onnx.TensorProto.DataType;
    expect(graph.input.map((i) => [i.name, i.type?.tensorType?.elemType])).toEqual([
      ['age', T.FLOAT],
      ['color', T.STRING],
    ]);
    expect(graph.output.map((o) => o.name)).toEqual([PROBABILITY_OUTPUT]);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13], ['ai.onnx.ml', 2]]);
  });

  it('carries the preprocessing and weights inside the graph', () => {
    expect(graph.node.map((n) => n.opType)).toEqual(['Concat', 'Imputer', 'Scaler', 'MatMul', 'LabelEncoder', 'Sum', 'Sigmoid']);
    const encoder = graph.node.find((n) => n.opType === 'LabelEncoder')!;
    const keys = encoder.attribute!.find((a) => a.name === 'keys_strings')!.strings!.map((s) => utf8.decode(s));
    expect(keys).toEqual(['?', 'blue', 'red']);
    const values = encoder.attribute!.find((a) => a.name === 'values_floats')!.floats!;
    values.forEach((v, i) => expect(v).toBeCloseTo(model.categoricalWeights[0]![i]!, 6));
    const scaler = graph.node.find((n) => n.opType === 'Scaler')!;
    expect(scaler.attribute!.find((a) => a.name === 'offset')!.floats![0]).toBeCloseTo(model.spec.numeric[0]!.mean, 4);
  });
});
