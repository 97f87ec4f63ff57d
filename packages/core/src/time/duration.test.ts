import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDurationMs } from './duration.ts';

describe('duration grammar', () => {
  it('reads every unit, decimals and spaces', () => {
    expect(['500ms', '30s', '10m', '2h', '1d', '2w', '1.5h', ' 90 s ', '0s'].map((t) => parseDurationMs(t))).toEqual([500, 30_000, 600_000, 7_200_000, 86_400_000, 1_209_600_000, 5_400_000, 90_000, 0]);
  });

  it('takes a bare number only in the unit the caller names', () => {
    expect(parseDurationMs('15')).toBeUndefined();
    expect(parseDurationMs('15', { bare: 's' })).toBe(15_000);
    expect(parseDurationMs('250', { bare: 'ms' })).toBe(250);
  });

  it('rejects what is not a duration', () => {
    for (const t of ['', 'h', '1 week', '-5s', '1e3s', '1y', '1h30m', 'Infinity', '9'.repeat(20) + 's', '1.s']) expect(parseDurationMs(t, { bare: 's' }), t).toBeUndefined();
  });

  it('formats back into the same milliseconds for whole units', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(1, 1000, 60_000, 3_600_000, 86_400_000), (n, unit) => parseDurationMs(formatDuration(n * unit)) === n * unit));
  });
});
