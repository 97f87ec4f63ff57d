import { describe, expect, it } from 'vitest';
// Test-only: the ONNX builder helpers are not part of core's public exports.
import { floatTensor, node, onnx, valueInfo } from '../../../../core/src/onnx/onnx-builder.ts';
import { buildSchema } from '../datasets/dataset-table.ts';
import { evaluatePredictions } from './evaluate-metrics.ts';
import { createOnnxRunner } from './onnx-runner.ts';
import { correctness, predict } from './predictions.ts';

function model(nodes: ReturnType<typeof node>[], inits: ReturnType<typeof floatTensor>[], out: [string, number]): Uint8Array {
  const graph = onnx.GraphProto.create({ name: 'g', node: nodes, initializer: inits, input: [valueInfo('x', 'float', ['N', 1])], output: [valueInfo(out[0], 'float', ['N', out[1]])] });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph })).finish();
}

describe('built-in evaluation beyond binary, with real onnxruntime', () => {
  it('regression: y = 2x + 1 scored against noisy targets gives the hand-computed MAE, RMSE and R²', async () => {
    const bytes = model([node({ op: 'Mul', inputs: ['x', 'two'], outputs: ['t'] }), node({ op: 'Add', inputs: ['t', 'one'], outputs: ['y'] })], [floatTensor('two', [1], [2]), floatTensor('one', [1], [1])], ['y', 1]);
    const xs = Array.from({ length: 40 }, (_, i) => i);
    const noise = xs.map((i) => (i % 2 ? 0.5 : -0.5));
    const table = { header: ['x', 'target'], rows: xs.map((x, i) => [String(x), String(2 * x + 1 + noise[i]!)]) };
    const schema = buildSchema(table, { label: 'target' });
    expect(schema.task).toBe('regression');
    const runner = await createOnnxRunner(bytes);
    const p = await predict(runner, schema, table);
    const r = evaluatePredictions(p, schema, table);
    const ys = xs.map((x, i) => 2 * x + 1 + noise[i]!);
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    const ssTot = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
    expect(r.metrics.mae).toBeCloseTo(0.5, 6);
    expect(r.metrics.rmse).toBeCloseTo(0.5, 6);
    expect(r.metrics.r2).toBeCloseTo(1 - (40 * 0.25) / ssTot, 9);
    await runner.close();
  });

  it('multiclass: softmax(x·w + b) over three classes, argmax and log loss match a TS recomputation', async () => {
    const w = [-1, 0, 1];
    const b = [0.5, 1, 0.5];
    const bytes = model(
      [node({ op: 'MatMul', inputs: ['x', 'w'], outputs: ['z0'] }), node({ op: 'Add', inputs: ['z0', 'b'], outputs: ['z'] }), node({ op: 'Softmax', inputs: ['z'], outputs: ['p'], attributes: { axis: 1 } })],
      [floatTensor('w', [1, 3], w), floatTensor('b', [3], b)],
      ['p', 3],
    );
    const xs = Array.from({ length: 60 }, (_, i) => (i - 30) / 10);
    const classes = ['high', 'low', 'mid']; // sorted: the dataset's class order is the model's output order
    const softmax = (x: number) => {
      const z = w.map((wk, k) => wk * x + b[k]!);
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, v) => a + v, 0);
      return e.map((v) => v / s);
    };
    // True labels: the argmax class, except every 7th row is shifted to the next class.
    const labels = xs.map((x, i) => {
      const p = softmax(x);
      const k = p.indexOf(Math.max(...p));
      return i % 7 === 0 ? (k + 1) % 3 : k;
    });
    const table = { header: ['x', 'y'], rows: xs.map((x, i) => [String(x), classes[labels[i]!]!]) };
    const schema = buildSchema(table, { label: 'y' });
    expect(schema).toMatchObject({ task: 'multiclass', classes });
    const runner = await createOnnxRunner(bytes);
    const pred = await predict(runner, schema, table);
    const r = evaluatePredictions(pred, schema, table);
    const wrong = xs.filter((_, i) => i % 7 === 0).length;
    expect(r.metrics.accuracy).toBeCloseTo(1 - wrong / xs.length, 12);
    expect(correctness(pred).reduce((a, v) => a + v, 0)).toBe(xs.length - wrong);
    const loss = -xs.reduce((a, x, i) => a + Math.log(softmax(x)[labels[i]!]!), 0) / xs.length;
    expect(r.metrics.logLoss).toBeCloseTo(loss, 5); // float32 inside onnxruntime
    expect(r.calibration).toHaveLength(10);
    await runner.close();
  });
});
