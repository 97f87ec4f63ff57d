import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockAt, blockStartMs } from './block-clock.ts';

const clock = { genesisMs: 1_700_000_000_000, intervalMs: 1000 };

describe('block clock', () => {
  it('floors elapsed time by the interval', () => {
    expect(blockAt(clock.genesisMs, clock)).toBe(0);
    expect(blockAt(clock.genesisMs + 999, clock)).toBe(0);
    expect(blockAt(clock.genesisMs + 1000, clock)).toBe(1);
    expect(blockAt(clock.genesisMs + 15_500, clock)).toBe(15);
    expect(blockAt(7_250, { genesisMs: 0, intervalMs: 2_500 })).toBe(2);
  });

  it('maps a block back to its first millisecond', () => {
    expect(blockStartMs(0, clock)).toBe(clock.genesisMs);
    expect(blockStartMs(16, clock)).toBe(clock.genesisMs + 16_000);
  });

  it('rejects a clock before genesis and bad configuration', () => {
    expect(() => blockAt(clock.genesisMs - 1, clock)).toThrow(/before genesis/);
    expect(() => blockAt(clock.genesisMs, { ...clock, intervalMs: 0 })).toThrow(/positive/);
    expect(() => blockAt(clock.genesisMs, { ...clock, intervalMs: -5 })).toThrow(/positive/);
    expect(() => blockAt(clock.genesisMs, { ...clock, intervalMs: 0.5 })).toThrow(/positive integer/);
    expect(() => blockAt(Number.NaN, clock)).toThrow(/integer/);
    expect(() => blockStartMs(-1, clock)).toThrow(/non-negative/);
  });

  it('every instant lies inside the block it is assigned to', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (genesisMs, intervalMs, elapsed) => {
          const cfg = { genesisMs, intervalMs };
          const h = blockAt(genesisMs + elapsed, cfg);
          expect(blockStartMs(h, cfg)).toBeLessThanOrEqual(genesisMs + elapsed);
          expect(blockStartMs(h + 1, cfg)).toBeGreaterThan(genesisMs + elapsed);
        },
      ),
    );
  });
});
