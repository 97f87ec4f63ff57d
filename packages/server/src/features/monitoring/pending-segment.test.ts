import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSegment, encodeSegment } from './pending-segment.ts';
import type { PendingRow } from './monitoring.store.sql.ts';

describe('pending segments', () => {
  it('round-trip any rows of one model', () => {
    const row = fc.record({
      requestId: fc.string({ minLength: 1, maxLength: 40 }),
      version: fc.constantFrom('1.0.0', '2.0.0-rc.1'),
      t: fc.integer({ min: 0, max: 2 ** 45 }),
      score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
      predictedPositive: fc.boolean(),
      groups: fc.option(fc.dictionary(fc.constantFrom('sex', 'race', 'a\u0000b'), fc.string({ maxLength: 5 })), { nil: undefined }),
    });
    fc.assert(fc.property(fc.array(row, { minLength: 1, maxLength: 50 }), (rows) => {
      const full: PendingRow[] = rows.map((r) => ({ model: 'm', ...r }));
      const { data, maxT } = encodeSegment(full);
      expect(maxT).toBe(Math.max(...rows.map((r) => r.t)));
      const back = decodeSegment('m', data);
      expect(back).toEqual(full.map((r) => ({ ...r, score: r.score === undefined ? undefined : r.score, groups: r.groups })));
    }), { numRuns: 300 });
  });

  it('refuses a truncated segment', () => {
    const { data } = encodeSegment([{ model: 'm', requestId: 'a', version: '1', t: 1, predictedPositive: true }]);
    expect(() => decodeSegment('m', data.subarray(0, data.length - 1))).toThrow(/does not match/);
  });
});
