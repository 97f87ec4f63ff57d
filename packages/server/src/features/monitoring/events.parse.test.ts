import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastIsoTime } from './events.parse.ts';

describe('fastIsoTime', () => {
  it('agrees with Date.parse whenever it answers, and answers for toISOString output', () => {
    fc.assert(fc.property(fc.date({ min: new Date(Date.UTC(100, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }), (d) => {
      const s = d.toISOString();
      const fast = fastIsoTime(s);
      if (d.getUTCDate() <= 28) expect(fast).toBe(d.getTime());
      else expect(fast).toBeNaN();
    }), { numRuns: 2000 });
  });

  it('never disagrees with Date.parse on near-ISO strings', () => {
    const digit = fc.integer({ min: 0, max: 9 }).map(String);
    const any = fc.constantFrom('0', '1', '2', '3', '5', '9', '-', ':', 'T', '.', 'Z', ' ', 'x');
    // Mostly well-formed strings with some characters swapped for anything.
    const iso = fc.array(fc.oneof({ weight: 8, arbitrary: digit }, { weight: 1, arbitrary: any }), { minLength: 17, maxLength: 17 }).map((c) =>
      `${c.slice(0, 4).join('')}-${c.slice(4, 6).join('')}-${c.slice(6, 8).join('')}T${c.slice(8, 10).join('')}:${c.slice(10, 12).join('')}:${c.slice(12, 14).join('')}.${c.slice(14, 17).join('')}Z`);
    fc.assert(fc.property(iso, (s) => {
      const fast = fastIsoTime(s);
      if (!Number.isNaN(fast)) expect(fast).toBe(Date.parse(s));
    }), { numRuns: 5000 });
    for (const s of ['0050-01-01T00:00:00.000Z', '2026-02-29T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+01:00']) {
      expect(fastIsoTime(s)).toBeNaN();
    }
    expect(fastIsoTime('2026-11-24T03:04:05.678Z')).toBe(Date.parse('2026-11-24T03:04:05.678Z'));
  });
});
