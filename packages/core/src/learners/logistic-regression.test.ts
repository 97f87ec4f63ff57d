import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { choleskySolve } from './cholesky.ts';
import { encodeRows, inferFeatureSpec } from './feature-spec.ts';
import { predictProba, trainLogisticRegression } from './logistic-regression.ts';

// Fit by scipy trust-exact in tools/goldens/logreg_golden.py (independent of the Newton solver).
const golden = JSON.parse(readFileSync(new URL('./logreg.golden.json', import.meta.url), 'utf8'));
const train = { header: golden.header, rows: golden.train };
const holdout = { header: golden.header, rows: golden.holdout };

function expectClose(actual: readonly number[], expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!), `index ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

describe('trainLogisticRegression against the scipy golden fit', () => {
  const model = trainLogisticRegression(train, { label: 'income', positiveClass: '>50K', l2: golden.l2, tolerance: 1e-12 });

  it('fits the same standardization and category lists (`?` is a category)', () => {
    expectClose(model.spec.numeric.map((f) => f.mean), golden.expected.means, 1e-12);
    expectClose(model.spec.numeric.map((f) => f.std), golden.expected.stds, 1e-12);
    expect(model.spec.categorical.map((f) => f.categories)).toEqual(golden.expected.categories);
  });

  it('reaches the same optimum: weights, intercept, objective', () => {
    expectClose(model.numericWeights, golden.expected.numericWeights, 1e-8);
    model.categoricalWeights.forEach((w, k) => expectClose(w, golden.expected.categoricalWeights[k], 1e-8));
    expectClose([model.intercept], [golden.expected.intercept], 1e-8);
    expectClose([model.training.objective], [golden.expected.objective], 1e-12);
  });

  it('scores holdout rows with missing numerics and unseen categories alike', () => {
    expectClose(Array.from(predictProba(model, holdout)), golden.expected.holdoutProbabilities, 1e-8);
  });

  it('is deterministic', () => {
    const again = trainLogisticRegression(train, { label: 'income', positiveClass: '>50K', l2: golden.l2, tolerance: 1e-12 });
    expect(again).toEqual(model);
  });
});

describe('feature spec', () => {
  it('treats numeric-looking columns as categorical on request and excludes the label', () => {
    const spec = inferFeatureSpec(train, { exclude: ['income'], categorical: ['x1'] });
    expect(spec.numeric.map((f) => f.name)).toEqual(['x2']);
    expect(spec.categorical.map((f) => f.name)).toEqual(['x1', 'c1', 'c2']);
  });

  it('places one-hot columns after the numerics and marks unseen values -1', () => {
    const spec = inferFeatureSpec(train, { exclude: ['income'] });
    const x = encodeRows(spec, { header: golden.header, rows: [['1', '?', 'delta', 'west', '<=50K']] });
    expect(x.dim).toBe(2 + spec.categorical[0]!.categories.length + 2);
    expect(x.dense[1]).toBe(0); // missing → mean → 0 after scaling
    expect(x.active[0]).toBe(-1);
    expect(x.active[1]).toBe(2 + spec.categorical[0]!.categories.length + 1); // 'west' is second of c2
  });
});

describe('choleskySolve', () => {
  it('solves random SPD systems (A = BᵀB + I)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 16, maxLength: 16 }), fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 4, maxLength: 4 }), (b, rhs) => {
      const m = 4;
      const a = new Float64Array(m * m);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < m; k++) s += b[k * m + i]! * b[k * m + j]!;
        a[i * m + j] = s;
      }
      const x = choleskySolve(a, Float64Array.from(rhs), m)!;
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += a[i * m + j]! * x[j]!;
        expect(s).toBeCloseTo(rhs[i]!, 6);
      }
    }));
    expect(choleskySolve(Float64Array.from([1, 2, 2, 1]), Float64Array.from([1, 1]), 2)).toBeNull();
  });
});
