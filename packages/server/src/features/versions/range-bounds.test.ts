import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { parseVersion } from '@steward/core';
import { rangeBounds } from './range-bounds.ts';

const version = fc.tuple(fc.nat(5), fc.nat(5), fc.nat(5), fc.option(fc.constantFrom('rc.1', 'alpha', 'beta.2'))).map(
  ([a, b, c, p]) => `${a}.${b}.${c}${p ? `-${p}` : ''}`,
);
const range = fc.constantFrom('^1.2.0', '~2.1', '>=1.0.0 <3.0.0', '1.x || >=4.2.0', '*', '<=2.0.0', '>1.1.1', '3.2.1', '^0.0.3', '>=2.0.0-rc.1');

describe('rangeBounds', () => {
  it('never excludes a version the range satisfies', () => {
    fc.assert(
      fc.property(version, range, (v, r) => {
        if (!semver.satisfies(v, r)) return;
        const { lower, upper } = rangeBounds(r);
        const k = parseVersion(v).sortKey;
        if (lower) expect(lower.inclusive ? k >= lower.key : k > lower.key).toBe(true);
        if (upper) expect(upper.inclusive ? k <= upper.key : k < upper.key).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
  it('is unbounded for *', () => expect(rangeBounds('*')).toEqual({}));
  it('rejects garbage', () => expect(() => rangeBounds('not a range')).toThrow(/invalid semver range/));
});
