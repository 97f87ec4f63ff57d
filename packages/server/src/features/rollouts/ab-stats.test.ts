import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { twoProportionZTest } from './ab-stats.ts';

// Golden values: scipy 1.17 — pooled z, 2*norm.sf(abs(z)), and 2*arcsin(sqrt(pB)) - 2*arcsin(sqrt(pA)).
const GOLDEN: Array<[number, number, number, number, number, number, number]> = [
  [30, 1000, 45, 1000, 1.7654696590094991, 0.0774848651326447, 0.07934624367190873],
  [120, 5000, 100, 5000, -1.363481431367087, 0.1727308326331427, -0.02729749258363351],
  [5, 200, 6, 180, 0.4837848644009077, 0.6285385578239766, 0.04964759126631574],
  [900, 1000, 880, 1000, -1.4293008498232336, 0.15291778186394556, -0.06398210298605855],
  [0, 50, 3, 60, 1.6031511026549947, 0.10890129793272194, 0.4510268117962624],
];

describe('two-proportion z-test', () => {
  it.each(GOLDEN)('%i/%i vs %i/%i matches scipy', (sa, na, sb, nb, z, p, h) => {
    const r = twoProportionZTest({ successes: sa, trials: na }, { successes: sb, trials: nb })!;
    expect(r.z).toBeCloseTo(z, 10);
    expect(Math.abs(r.pValue - p) / p).toBeLessThan(1e-9);
    expect(r.cohensH).toBeCloseTo(h, 12);
  });

  it('is antisymmetric in the arms and keeps p in [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (na, nb, fa, fb) => {
        const a = { successes: Math.floor(fa * na), trials: na };
        const b = { successes: Math.floor(fb * nb), trials: nb };
        const ab = twoProportionZTest(a, b)!;
        const ba = twoProportionZTest(b, a)!;
        expect(ab.z).toBeCloseTo(-ba.z, 9);
        expect(ab.pValue).toBeCloseTo(ba.pValue, 12);
        expect(ab.pValue).toBeGreaterThanOrEqual(0);
        expect(ab.pValue).toBeLessThanOrEqual(1);
        expect(ab.ci95[0]).toBeLessThanOrEqual(ab.diff);
      }),
    );
  });

  it('returns null without trials and p = 1 for identical degenerate arms', () => {
    expect(twoProportionZTest({ successes: 0, trials: 0 }, { successes: 1, trials: 3 })).toBeNull();
    expect(twoProportionZTest({ successes: 0, trials: 10 }, { successes: 0, trials: 20 })!.pValue).toBe(1);
  });
});
