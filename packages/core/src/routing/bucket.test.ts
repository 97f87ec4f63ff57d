import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf } from './bucket.ts';

// Critical values of the chi-square distribution with 9,999 degrees of freedom (10,000 buckets),
// computed once with scipy 1.17.1:
//   from scipy.stats import chi2; chi2.ppf(0.999, 9999) -> 10441.708713915372
//                                 chi2.ppf(0.001, 9999) ->  9567.690346556727
// Too high = lumpy buckets; too low = suspiciously even (e.g. keys mapped round-robin).
const CHI2_UPPER_P001 = 10441.708713915372;
const CHI2_LOWER_P001 = 9567.690346556727;

function chiSquare(bucket: (i: number) => number, n: number): number {
  const counts = new Uint32Array(BUCKETS);
  for (let i = 0; i < n; i++) counts[bucket(i)]!++;
  const expected = n / BUCKETS;
  let stat = 0;
  for (const c of counts) stat += ((c - expected) * (c - expected)) / expected;
  return stat;
}

describe('bucketOf', () => {
  it('is an integer in 0..9999 and deterministic', () => {
    for (const key of ['', 'u', 'user-1', 'ünïcødé', '🙂']) {
      const b = bucketOf('r1', key);
      expect(Number.isInteger(b) && b >= 0 && b < BUCKETS).toBe(true);
      expect(bucketOf('r1', key)).toBe(b);
    }
  });

  it('depends on the rollout id (independent samples per rollout)', () => {
    let same = 0;
    for (let i = 0; i < 1000; i++) if (bucketOf('a', `u${i}`) === bucketOf('b', `u${i}`)) same++;
    expect(same).toBeLessThan(5); // ~0.1 expected by chance
  });

  it('spreads 1M sequential keys uniformly over 10,000 buckets (chi-square, p = 0.001)', () => {
    const stat = chiSquare((i) => bucketOf('rollout-42', `user-${i}`), 1_000_000);
    expect(stat).toBeLessThan(CHI2_UPPER_P001);
    expect(stat).toBeGreaterThan(CHI2_LOWER_P001);
  });

  it('the uniformity check can fail: a weak hash (sum of char codes) is rejected', () => {
    const weak = (i: number): number => {
      const s = `rollout-42:user-${i}`;
      let h = 0;
      for (let j = 0; j < s.length; j++) h += s.charCodeAt(j) * (j + 1);
      return h % BUCKETS;
    };
    expect(chiSquare(weak, 1_000_000)).toBeGreaterThan(CHI2_UPPER_P001);
    // ...and so is a perfectly even round-robin assignment.
    expect(chiSquare((i) => i % BUCKETS, 1_000_000)).toBeLessThan(CHI2_LOWER_P001);
  });
});
