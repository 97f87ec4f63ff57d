import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addMoment, emptyMoments, mergeMoments, momentsFromJSON, momentsOf, momentsToJSON, variance } from './moments.ts';
import { addCategory, emptyCategorical, mergeCategorical, topK } from './categorical.ts';
import { addToReservoir, emptyReservoir, mergeReservoirs } from './reservoir.ts';
import { mulberry32 } from './prng.ts';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });

describe('moments', () => {
  it('merge (Chan) equals the moments of the concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.option(finite, { nil: null })), fc.array(fc.option(finite, { nil: null })), (a, b) => {
        const ma = emptyMoments();
        a.forEach((x) => addMoment(ma, x));
        const mb = emptyMoments();
        b.forEach((x) => addMoment(mb, x));
        const merged = mergeMoments(ma, mb);
        const all = [...a, ...b].filter((x): x is number => x !== null);
        expect(merged.count).toBe(all.length);
        expect(merged.missing).toBe(a.length + b.length - all.length);
        if (all.length === 0) return;
        const mean = all.reduce((s, x) => s + x, 0) / all.length;
        const m2 = all.reduce((s, x) => s + (x - mean) ** 2, 0);
        expect(Math.abs(merged.mean - mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(mean)));
        expect(Math.abs(merged.m2 - m2)).toBeLessThanOrEqual(1e-7 * Math.max(1, m2));
        expect(merged.min).toBe(Math.min(...all));
        expect(merged.max).toBe(Math.max(...all));
      }),
    );
  });
  it('matches numpy var on a known sample and survives JSON', () => {
    const m = momentsOf([2, 4, 4, 4, 5, 5, 7, 9, Number.NaN]);
    expect(variance(m)).toBeCloseTo(4, 12);
    expect(variance(m, 1)).toBeCloseTo(32 / 7, 12);
    expect(m.missing).toBe(1);
    expect(momentsFromJSON(JSON.parse(JSON.stringify(momentsToJSON(m))))).toEqual(m);
    expect(momentsFromJSON(momentsToJSON(emptyMoments()))).toEqual(emptyMoments());
  });
});

describe('categorical counter', () => {
  it('merge equals counting the union when under capacity (property)', () => {
    const cat = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { nil: null });
    fc.assert(
      fc.property(fc.array(cat), fc.array(cat), (a, b) => {
        const sa = emptyCategorical(10);
        a.forEach((x) => addCategory(sa, x));
        const sb = emptyCategorical(10);
        b.forEach((x) => addCategory(sb, x));
        const su = emptyCategorical(10);
        [...a, ...b].forEach((x) => addCategory(su, x));
        expect(topK(mergeCategorical(sa, sb), 3)).toEqual(topK(su, 3));
      }),
    );
  });
  it('bounds memory: top-K plus other accounts for every row', () => {
    const s = emptyCategorical(5);
    for (let i = 0; i < 10_000; i++) addCategory(s, `k${i % 50}`, 1);
    addCategory(s, null);
    expect(Object.keys(s.counts).length).toBe(5);
    const t = topK(s, 3);
    expect(t.top).toHaveLength(3);
    expect(t.top.reduce((acc, x) => acc + x.count, 0) + t.other + t.missing).toBe(10_001);
  });
});

describe('reservoir', () => {
  it('keeps a uniform sample (seeded): each item kept about capacity/n of the time', () => {
    const hits = new Float64Array(100);
    const rng = mulberry32(3);
    for (let run = 0; run < 2000; run++) {
      const r = emptyReservoir<number>(10);
      for (let i = 0; i < 100; i++) addToReservoir(r, i, rng);
      r.items.forEach((x) => (hits[x] = (hits[x] as number) + 1));
    }
    // Expected 200 per item; binomial sd ≈ 13.4, allow 6 sd.
    for (const h of hits) expect(Math.abs(h - 200)).toBeLessThan(81);
  });
  it('merge draws from each side in proportion to what it has seen', () => {
    const rng = mulberry32(9);
    let fromA = 0;
    for (let run = 0; run < 500; run++) {
      const a = emptyReservoir<string>(20);
      const b = emptyReservoir<string>(20);
      for (let i = 0; i < 300; i++) addToReservoir(a, 'a', rng);
      for (let i = 0; i < 100; i++) addToReservoir(b, 'b', rng);
      const m = mergeReservoirs(a, b, rng);
      expect(m.items).toHaveLength(20);
      expect(m.seen).toBe(400);
      fromA += m.items.filter((x) => x === 'a').length;
    }
    expect(fromA / (500 * 20)).toBeGreaterThan(0.72);
    expect(fromA / (500 * 20)).toBeLessThan(0.78);
  });
});
