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
    expect(() => decodeSegment('m', data.subarray(0, data.length - 1))).toThrow();
  });

  it('compresses the body, and still reads segments written before compression', () => {
    const rows: PendingRow[] = Array.from({ length: 1000 }, (_, i) => ({ model: 'm', requestId: `req-${i}`, version: '1.0.0', t: 1767268800000 + i, score: (i % 100) / 100, predictedPositive: i % 3 === 0, groups: { sex: i % 2 ? 'F' : 'M' } }));
    const { data } = encodeSegment(rows);
    expect(data.length).toBeLessThan(rows.length * 12); // raw, these rows take ~33 bytes each
    expect(decodeSegment('m', data)).toEqual(rows);
    // Written by the encoder before compression (commit 1012e2b).
    const old = Buffer.from('SAAAAHsibiI6MiwidmVyc2lvbnMiOlsiMS4wLjAiLCIyLjAuMCJdLCJncm91cHMiOlt7InNleCI6IkYifV0sImlkQnl0ZXMiOjE3fVsicmVxLTEiLCJyZXEtMiJdAAAAAABg3Za3eUIAgJ7dlrd5QgAAAAAAANA/AAAAAAAA+H8AAAAAAQAAAAAAAAD/////AAE=', 'base64');
    expect(decodeSegment('m', old)).toEqual([
      { model: 'm', requestId: 'req-1', version: '1.0.0', t: 1767268800000, score: 0.25, predictedPositive: false, groups: { sex: 'F' } },
      { model: 'm', requestId: 'req-2', version: '2.0.0', t: 1767268801000, score: undefined, predictedPositive: true, groups: undefined },
    ]);
  });
});
