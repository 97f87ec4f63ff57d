import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KllSketch } from './kll.ts';
import { mulberry32 } from './prng.ts';

/** Max over a grid of |estimated rank - true rank|, true ranks from the sorted data. */
function maxRankError(sketch: KllSketch, sorted: Float64Array): number {
  let worst = 0;
  for (let i = 1; i < 100; i++) {
    const x = sorted[Math.floor((i / 100) * (sorted.length - 1))] as number;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) <= x) lo = mid + 1;
      else hi = mid;
    }
    worst = Math.max(worst, Math.abs(sketch.rank(x) - lo / sorted.length));
  }
  return worst;
}

describe('KLL sketch', () => {
  it('keeps rank error under 1.65% (k = 200) on 1M values with O(k) memory', () => {
    const rng = mulberry32(7);
    const data = new Float64Array(1_000_000);
    for (let i = 0; i < data.length; i++) data[i] = Math.log(rng.next() + 1e-12) * (i % 3 === 0 ? 3 : 1);
    const s = new KllSketch(200, 11);
    for (const x of data) s.update(x);
    const sorted = data.slice().sort();
    expect(s.n).toBe(1_000_000);
    expect(s.retained).toBeLessThan(3 * 200 + 100);
    expect(maxRankError(s, sorted)).toBeLessThan(0.0165);
    expect(s.min).toBe(sorted[0]);
    expect(s.max).toBe(sorted[sorted.length - 1]);
  });

  it('is exact below capacity and merge equals the union there', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 60 }),
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 60 }), (a, b) => {
          const sa = new KllSketch(200, 1);
          const sb = new KllSketch(200, 2);
          a.forEach((x) => sa.update(x));
          b.forEach((x) => sb.update(x));
          sa.merge(sb);
          const union = [...a, ...b].sort((x, y) => x - y);
          expect(sa.n).toBe(union.length);
          for (const x of union) {
            const trueRank = union.filter((u) => u <= x).length / union.length;
            expect(sa.rank(x)).toBeCloseTo(trueRank, 12);
          }
        }),
      { numRuns: 50 },
    );
  });

  it('merge of parts keeps the error bound of the union (property)', () => {
    // The bound holds at 99 % confidence, so any one case may exceed it: a property drawing new
    // cases every run failed CI about once in a dozen runs (a case at 1.68 %). The cases are
    // fixed (fast-check's seed) and judged as the guarantee is stated: at most 1 in 20 over
    // 1.65 %, none far over it.
    const errors: number[] = [];
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2, max: 6 }), (seed, parts) => {
        const rng = mulberry32(seed);
        const data = Float64Array.from({ length: 30_000 }, () => rng.next() * 100 + (rng.next() < 0.3 ? 50 : 0));
        const sketches = Array.from({ length: parts }, (_, i) => new KllSketch(200, seed + i));
        data.forEach((x, i) => (sketches[i % parts] as KllSketch).update(x));
        const merged = sketches.reduce((acc, s) => acc.merge(s));
        expect(merged.n).toBe(data.length);
        const err = maxRankError(merged, data.slice().sort());
        errors.push(err);
        expect(err).toBeLessThan(0.022);
      }),
      { numRuns: 40, seed: 20261125 },
    );
    expect(errors.filter((e) => e >= 0.0165).length).toBeLessThanOrEqual(2);
  });

  it('round-trips through JSON and continues identically', () => {
    const a = new KllSketch(64, 5);
    for (let i = 0; i < 5000; i++) a.update((i * 7919) % 1000);
    const b = KllSketch.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    for (let i = 0; i < 3000; i++) {
      a.update(i % 17);
      b.update(i % 17);
    }
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(b.quantile(0.5)).toBe(a.quantile(0.5));
  });
});
