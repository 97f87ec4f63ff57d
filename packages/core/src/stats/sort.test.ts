import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sortFloat64 } from './sort.ts';

describe('sortFloat64 (radix)', () => {
  it('equals the comparison sort, including negatives, ties, infinities and subnormals', () => {
    const special = fc.constantFrom(0, 5e-324, -5e-324, Infinity, -Infinity, 1, -1, 1e308, -1e308);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), special), { minLength: 2049, maxLength: 5000 }), (xs) => {
        const a = Float64Array.from(xs);
        const want = Array.from(a).sort((x, y) => x - y);
        const got = Array.from(sortFloat64(a));
        // -0 and +0 may swap places; compare with == semantics.
        got.forEach((v, i) => expect(v === want[i]).toBe(true));
      }),
      { numRuns: 20 },
    );
  });
  it('does not modify its input', () => {
    const a = Float64Array.from({ length: 3000 }, (_, i) => 3000 - i);
    sortFloat64(a);
    expect(a[0]).toBe(3000);
  });
});
