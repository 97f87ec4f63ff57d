import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../sketches/prng.ts';
import { addScore, cbpeFromHistogram, cbpeFromScores, emptyScoreHistogram } from './cbpe.ts';

/** Independent AUC: P(score of a positive-weight unit > score of a negative-weight unit), ties ½. */
function pairwiseAuc(p: number[]): number {
  let num = 0, pos = 0, neg = 0;
  for (const a of p) { pos += a; neg += 1 - a; }
  for (const a of p) for (const b of p) num += a * (1 - b) * (a > b ? 1 : a === b ? 0.5 : 0);
  return num / (pos * neg);
}

describe('CBPE', () => {
  it('matches hand-computed expected cells', () => {
    const e = cbpeFromScores([0.9, 0.8, 0.3, 0.1]);
    expect(e.expectedTp).toBeCloseTo(1.7, 12);
    expect(e.expectedFp).toBeCloseTo(0.3, 12);
    expect(e.expectedFn).toBeCloseTo(0.4, 12);
    expect(e.expectedTn).toBeCloseTo(1.6, 12);
    expect(e.accuracy).toBeCloseTo(0.825, 12);
    expect(e.f1).toBeCloseTo(3.4 / 4.1, 12);
    expect(e.rocAuc).toBeCloseTo(pairwiseAuc([0.9, 0.8, 0.3, 0.1]), 12);
  });

  it('expected AUC equals the pairwise definition', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 99 }).map((x) => x / 100), { minLength: 2, maxLength: 30 }), (ps) => {
      expect(cbpeFromScores(ps).rocAuc).toBeCloseTo(pairwiseAuc(ps), 9);
    }));
  });

  it('histogram form equals the raw form when scores sit on distinct bins', () => {
    const ps = [0.015, 0.125, 0.335, 0.505, 0.625, 0.875, 0.995];
    const h = emptyScoreHistogram();
    for (const p of ps) addScore(h, p);
    const a = cbpeFromScores(ps);
    const b = cbpeFromHistogram(h);
    for (const k of ['accuracy', 'f1', 'rocAuc', 'expectedTp'] as const) expect(b[k]).toBeCloseTo(a[k], 12);
  });

  it('estimates realised accuracy on calibrated scores', () => {
    const rng = mulberry32(7);
    const h = emptyScoreHistogram();
    let correct = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const p = rng.next();
      const y = rng.next() < p ? 1 : 0;
      addScore(h, p);
      if ((p >= 0.5 ? 1 : 0) === y) correct++;
    }
    expect(Math.abs(cbpeFromHistogram(h).accuracy - correct / n)).toBeLessThan(0.015);
    expect(cbpeFromHistogram(h).accuracy).toBeCloseTo(0.75, 1);
  });
});
