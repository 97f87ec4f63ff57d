import { describe, expect, it } from 'vitest';
import { fairnessMetrics } from '../metrics/fairness.ts';
import { mulberry32 } from '../sketches/prng.ts';
import { emptyGroupCounts, groupFairness, groupFairnessWithCi, poisson, type GroupCounts } from './group-fairness.ts';

function simulate(n: number, seed: number) {
  const rng = mulberry32(seed);
  const y: number[] = [], s: number[] = [], g: string[] = [];
  const counts: Record<string, GroupCounts> = {};
  for (let i = 0; i < n; i++) {
    const grp = rng.next() < 0.3 ? 'F' : 'M';
    const score = rng.next() * (grp === 'F' ? 0.8 : 1);
    const label = rng.next() < score ? 1 : 0;
    y.push(label); s.push(score); g.push(grp);
    const c = (counts[grp] ??= emptyGroupCounts());
    const pred = score >= 0.5;
    c.n++;
    if (pred) c.predictedPositive++;
    c[pred ? (label ? 'tp' : 'fp') : label ? 'fn' : 'tn']++;
  }
  return { y, s, g, counts };
}

describe('group fairness from counts', () => {
  it('equals the row-level Fairlearn definitions', () => {
    const { y, s, g, counts } = simulate(3000, 1);
    const rows = fairnessMetrics(y, s, g);
    const fromCounts = groupFairness(counts);
    expect(fromCounts.demographicParityDifference).toBeCloseTo(rows.demographicParityDifference, 12);
    expect(fromCounts.demographicParityRatio).toBeCloseTo(rows.demographicParityRatio, 12);
    expect(fromCounts.equalizedOddsDifference).toBeCloseTo(rows.equalizedOddsDifference, 12);
  });

  it('leaves small groups out of the comparison', () => {
    const counts = { a: { n: 100, predictedPositive: 50, tp: 0, fp: 0, tn: 0, fn: 0 }, b: { n: 5, predictedPositive: 0, tp: 0, fp: 0, tn: 0, fn: 0 } };
    expect(groupFairness(counts, 30).demographicParityDifference).toBe(0);
    expect(groupFairness(counts, 1).demographicParityDifference).toBe(0.5);
  });

  it('bootstrap interval covers the estimate and narrows with more rows', () => {
    const small = groupFairnessWithCi(simulate(500, 2).counts, { random: mulberry32(3) });
    const big = groupFairnessWithCi(simulate(20000, 2).counts, { random: mulberry32(3) });
    for (const r of [small, big]) {
      expect(r.ci.demographicParityDifference.low).toBeLessThanOrEqual(r.demographicParityDifference);
      expect(r.ci.demographicParityDifference.high).toBeGreaterThanOrEqual(r.demographicParityDifference);
    }
    const w = (r: typeof small) => r.ci.demographicParityDifference.high - r.ci.demographicParityDifference.low;
    expect(w(big)).toBeLessThan(w(small) / 3);
  });

  it('poisson draws have the right mean and variance', () => {
    const rng = mulberry32(9);
    for (const lambda of [3, 200]) {
      const xs = Array.from({ length: 20000 }, () => poisson(lambda, rng));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
      expect(Math.abs(mean - lambda) / lambda).toBeLessThan(0.02);
      expect(Math.abs(v - lambda) / lambda).toBeLessThan(0.06);
    }
  });
});
