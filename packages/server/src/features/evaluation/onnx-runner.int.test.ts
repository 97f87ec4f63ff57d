import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Relative imports until @steward/core's index exports these modules.
import { parseCsv } from '../../../../core/src/datasets/csv.ts';
import type { RawTable } from '../../../../core/src/datasets/raw-table.ts';
import { binaryLabels } from '../../../../core/src/learners/feature-spec.ts';
import {
  predictProba,
  trainLogisticRegression,
  type LogisticRegressionModel,
} from '../../../../core/src/learners/logistic-regression.ts';
import { binaryClassificationMetrics } from '../../../../core/src/metrics/binary.ts';
import { exportLogisticRegressionToOnnx } from '../../../../core/src/onnx/export-logistic-regression.ts';
import { createOnnxRunner, type OnnxRunner } from './onnx-runner.ts';

const ADULT = new URL('../../../../../../shared/datasets/adult/', import.meta.url);
const load = (file: string): RawTable => parseCsv(readFileSync(new URL(file, ADULT), 'utf8'));

describe('logistic regression on adult, exported to ONNX, scored in onnxruntime-node', () => {
  let train: RawTable;
  let test: RawTable;
  let model: LogisticRegressionModel;
  let runner: OnnxRunner;

  beforeAll(async () => {
    train = load('adult-train.csv');
    test = load('adult-test.csv');
    model = trainLogisticRegression(train, { label: 'income', positiveClass: '>50K' });
    runner = await createOnnxRunner(exportLogisticRegressionToOnnx(model), { batchSize: 4096 });
  });
  afterAll(() => runner?.close());

  it('takes one raw input per column and reaches accuracy >= 0.84 on the test split', async () => {
    expect(runner.inputs.map((i) => i.name).sort()).toEqual(test.header.filter((h) => h !== 'income').sort());
    expect(runner.inputs.find((i) => i.name === 'workclass')?.type).toBe('string');
    expect(runner.inputs.find((i) => i.name === 'age')?.type).toBe('float32');
    const probs = await runner.score(test);
    const metrics = binaryClassificationMetrics(binaryLabels(test, 'income', '>50K'), probs);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.84);
    expect(metrics.rocAuc).toBeGreaterThan(0.88);
  });

  it('agrees with the TypeScript model to 1e-5 on every test row', async () => {
    const onnx = await runner.score(test);
    const ts = predictProba(model, test);
    let worst = 0;
    for (let i = 0; i < ts.length; i++) worst = Math.max(worst, Math.abs((onnx[i] as number) - (ts[i] as number)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it('imputes missing numerics and zeroes unseen categories the same way in both', async () => {
    const header = test.header;
    const row = [...(test.rows[0] as string[])];
    const odd = [...row];
    odd[header.indexOf('age')] = '?';
    odd[header.indexOf('workclass')] = 'Never-seen-before';
    const table = { header, rows: [row, odd] };
    const onnx = await runner.score(table);
    const ts = predictProba(model, table);
    expect(Math.abs(onnx[1]! - ts[1]!)).toBeLessThanOrEqual(1e-5);
    expect(onnx[1]).not.toBeCloseTo(onnx[0]!, 3);
  });

  it('names the column a table lacks', async () => {
    const header = test.header.filter((h) => h !== 'sex');
    await expect(runner.score({ header, rows: [] })).rejects.toThrow(/no column "sex"/);
  });
});
