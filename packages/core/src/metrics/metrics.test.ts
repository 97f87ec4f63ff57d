import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { binaryClassificationMetrics, logLoss } from './binary.ts';
import { calibration, calibrationBinIndex } from './calibration.ts';
import { fairnessMetrics } from './fairness.ts';
import { multiclassScores } from './multiclass.ts';
import { regressionMetrics } from './regression.ts';
import { rocAuc } from './roc-auc.ts';

const labelsAndScores = fc
  .array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 20 })), { minLength: 2, maxLength: 60 })
  .filter((rows) => rows.some((r) => r[0] === 1) && rows.some((r) => r[0] === 0));

/** O(n1·n0) definition: P(score_pos > score_neg) + ½ P(equal). */
function bruteAuc(y: number[], s: number[]): number {
  let u = 0;
  let pairs = 0;
  y.forEach((yi, i) => y.forEach((yj, j) => {
    if (yi !== 1 || yj !== 0) return;
    pairs++;
    u += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
  }));
  return u / pairs;
}

describe('rocAuc', () => {
  it('matches the pairwise definition, ties included, and is invariant to monotone maps', () => {
    fc.assert(fc.property(labelsAndScores, (rows) => {
      const y = rows.map((r) => r[0]);
      const s = rows.map((r) => r[1] / 20);
      expect(rocAuc(y, s)).toBeCloseTo(bruteAuc(y, s), 12);
      expect(rocAuc(y, s.map((v) => Math.exp(3 * v)))).toBeCloseTo(rocAuc(y, s), 12);
      expect(rocAuc(y.map((v) => 1 - v), s)).toBeCloseTo(1 - rocAuc(y, s), 12);
    }));
  });

  it('is NaN with one class and 0.5 for constant scores', () => {
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 1, 0, 1], [0.4, 0.4, 0.4, 0.4])).toBe(0.5);
  });
});

describe('binary metrics', () => {
  it('counts a hand-worked example', () => {
    const m = binaryClassificationMetrics([1, 1, 0, 0, 1], [0.9, 0.5, 0.5, 0.1, 0.2]);
    expect(m.confusion).toEqual({ tp: 2, fp: 1, tn: 1, fn: 1 });
    expect(m.precision).toBeCloseTo(2 / 3, 15);
    expect(m.recall).toBeCloseTo(2 / 3, 15);
    expect(m.rocAuc).toBeCloseTo((1 + 1 + 0.5 + 1 + 0 + 1) / 6, 15); // pairs (pos, neg)
  });

  it('clips log loss at eps instead of returning Infinity', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 9);
    expect(() => binaryClassificationMetrics([2, 0], [0.1, 0.2])).toThrow(/expected 0 or 1/);
  });
});

describe('calibration', () => {
  it('puts p = 1 in the last bin and edges in the upper bin', () => {
    expect(calibrationBinIndex(1, 10)).toBe(9);
    expect(calibrationBinIndex(0.5, 10)).toBe(5);
    expect(calibrationBinIndex(0, 10)).toBe(0);
    const { ece, bins } = calibration([1, 0, 1, 1], [1, 0, 0.75, 0.75], 4);
    expect(bins.map((b) => b.count)).toEqual([1, 0, 0, 3]);
    expect(ece).toBeCloseTo((3 / 4) * Math.abs(1 - (1 + 0.75 + 0.75) / 3), 15);
  });
});

describe('multiclass and regression', () => {
  it('micro F1 equals accuracy; zero division gives 0', () => {
    const s = multiclassScores([[3, 1, 0], [2, 4, 0], [0, 0, 0]]);
    expect(s.micro.f1).toBeCloseTo(s.accuracy, 15);
    expect(s.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('R² follows sklearn on constant targets', () => {
    expect(regressionMetrics([2, 2], [2, 2]).r2).toBe(1);
    expect(regressionMetrics([2, 2], [1, 3]).r2).toBe(0);
    expect(regressionMetrics([1, 2, 3], [1, 2, 4]).rmse).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });
});

describe('fairness', () => {
  it('leaves a group with no positives out of the TPR spread', () => {
    const r = fairnessMetrics([1, 0, 1, 0, 0, 0], [0.9, 0.6, 0.1, 0.2, 0.7, 0.6], ['a', 'a', 'a', 'a', 'b', 'b']);
    expect(r.groups.map((g) => g.group)).toEqual(['a', 'b']);
    expect(r.groups[1]!.truePositiveRate).toBeNaN();
    expect(r.equalOpportunityDifference).toBe(0); // one defined TPR (a: 1/2) → no spread
    expect(r.demographicParityDifference).toBeCloseTo(0.5, 15); // a 2/4, b 2/2
    expect(r.demographicParityRatio).toBeCloseTo(0.5, 15);
    expect(r.equalizedOddsDifference).toBeCloseTo(0.5, 15); // FPR a 1/2, b 2/2
  });
});
