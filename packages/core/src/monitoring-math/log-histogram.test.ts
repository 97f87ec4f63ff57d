import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wassersteinDistance } from '../stats/wasserstein.ts';
import { addToLogHistogram, emptyLogHistogram, logHistKey, logHistogramQuantile, logHistValue, mergeLogHistograms, replayLogHistogram } from './log-histogram.ts';

describe('log histogram', () => {
  it('represents every value within 1% relative error', () => {
    fc.assert(fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
      const v = logHistValue(logHistKey(x));
      if (Math.abs(x) < 1e-12) expect(v).toBe(0);
      else expect(Math.abs(v - x) / Math.abs(x)).toBeLessThanOrEqual(0.0100001);
    }));
  });

  it('merging equals adding all values to one histogram', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1000, max: 100000 })), fc.array(fc.integer({ min: -1000, max: 100000 })), (a, b) => {
      const ha = emptyLogHistogram(), hb = emptyLogHistogram(), hab = emptyLogHistogram();
      for (const x of a) { addToLogHistogram(ha, x); addToLogHistogram(hab, x); }
      for (const x of b) { addToLogHistogram(hb, x); addToLogHistogram(hab, x); }
      expect({ ...mergeLogHistograms(ha, hb) }).toEqual({ ...hab });
    }));
  });

  it('keeps the heavy tail: Wasserstein of replays is close to the exact one', () => {
    // 92% zeros, a few huge values: the shape of Adult's capital-gain.
    const sample = (seed: number, n: number, scale: number) => Array.from({ length: n }, (_, i) => {
      const u = ((i * 2654435761 + seed) % 1000) / 1000;
      return u < 0.92 ? 0 : u < 0.995 ? 3000 * scale + u * 1000 : 99999;
    });
    const a = sample(1, 30000, 1);
    const b = sample(7, 4000, 3);
    const ha = emptyLogHistogram(), hb = emptyLogHistogram();
    a.forEach((x) => addToLogHistogram(ha, x));
    b.forEach((x) => addToLogHistogram(hb, x));
    const exact = wassersteinDistance(a, b);
    const approx = wassersteinDistance(replayLogHistogram(ha, 20000), replayLogHistogram(hb, 20000));
    expect(Math.abs(approx - exact) / exact).toBeLessThan(0.03);
    expect(replayLogHistogram(ha, 100)).toHaveLength(100);
  });

  it('quantiles are within 1% of the exact order statistic', () => {
    const xs = Array.from({ length: 10001 }, (_, i) => Math.exp(i / 1000));
    const h = emptyLogHistogram();
    xs.forEach((x) => addToLogHistogram(h, x));
    for (const q of [0.01, 0.5, 0.9, 0.99]) {
      const exact = xs[Math.ceil(q * 10001) - 1]!;
      expect(Math.abs(logHistogramQuantile(h, q) - exact) / exact).toBeLessThan(0.011);
    }
  });
});
