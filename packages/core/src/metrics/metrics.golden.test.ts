import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryClassificationMetrics } from './binary.ts';
import { expectedCalibrationError } from './calibration.ts';
import { fairnessMetrics } from './fairness.ts';
import { multiclassClassificationMetrics } from './multiclass.ts';
import { regressionMetrics } from './regression.ts';

// Goldens from tools/goldens/metrics_golden.py (numpy/scipy, written independently).
// The test reads the file with node:fs; core's source stays free of I/O.
const golden = JSON.parse(readFileSync(new URL('./metrics.golden.json', import.meta.url), 'utf8'));

/** |actual − expected| <= 1e-9 · max(1, |expected|). */
function close(actual: number, expected: number, what: string): void {
  const tol = 1e-9 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: ${actual} != ${expected}`);
}

function closeDeep(actual: unknown, expected: unknown, what: string): void {
  if (typeof expected === 'number') return close(actual as number, expected, what);
  if (typeof expected === 'string') return expect(actual, what).toBe(expected);
  for (const [key, value] of Object.entries(expected as object)) {
    closeDeep((actual as Record<string, unknown>)[key], value, `${what}.${key}`);
  }
}

describe('metrics against numpy/scipy goldens (1e-9)', () => {
  it('binary: confusion, accuracy, P/R/F1, ROC AUC with ties, clipped log loss, ECE', () => {
    expect(golden.binary.length).toBeGreaterThan(0);
    golden.binary.forEach((c: any, i: number) => {
      const m = binaryClassificationMetrics(c.yTrue, c.probs);
      const { ece10, ece15, ...rest } = c.expected;
      closeDeep(m, rest, `binary[${i}]`);
      close(m.ece, ece10, `binary[${i}].ece10`);
      close(expectedCalibrationError(c.yTrue, c.probs, 15), ece15, `binary[${i}].ece15`);
    });
  });

  it('multiclass: confusion, macro/micro P/R/F1, log loss, one-vs-rest AUC', () => {
    golden.multiclass.forEach((c: any, i: number) => {
      closeDeep(multiclassClassificationMetrics(c.yTrue, c.probs, c.classes), c.expected, `multiclass[${i}]`);
    });
  });

  it('regression: MAE, RMSE, R²', () => {
    golden.regression.forEach((c: any, i: number) => {
      closeDeep(regressionMetrics(c.yTrue, c.yPred), c.expected, `regression[${i}]`);
    });
  });

  it('fairness: per-group rates and Fairlearn disparities', () => {
    golden.fairness.forEach((c: any, i: number) => {
      closeDeep(fairnessMetrics(c.yTrue, c.probs, c.sensitive), c.expected, `fairness[${i}]`);
    });
  });
});
