import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkBuffer } from './chunker.ts';
import { seededBytes } from './seeded-bytes.ts';

const KiB = 1024;
const MIN = 16 * KiB;
const AVG = 64 * KiB;
const MAX = 256 * KiB;

/**
 * Expected chunk length on random data, derived from the cut rule alone: each position passes its
 * test independently with p = 2^-18 for lengths in [min, avg) and 2^-14 in [avg, max), so
 * E[L] = sum_{l<max} P(L > l) = min + S1 + S2 with two geometric sums. ≈ 74.8 KB (73.0 KiB).
 * This is FastCDC's known upward shift from min-size skipping; it stays within ±25 % of 64 KiB.
 */
function expectedMeanLength(): { mean: number; shareBelowAvg: number } {
  const qs = 1 - 2 ** -18;
  const ql = 1 - 2 ** -14;
  const survive = qs ** (AVG - MIN); // P(no cut before reaching avg)
  const s1 = (qs * (1 - survive)) / (1 - qs);
  const s2 = (survive * ql * (1 - ql ** (MAX - AVG))) / (1 - ql);
  return { mean: MIN + s1 + s2, shareBelowAvg: 1 - survive };
}

describe('chunk size statistics on random data', () => {
  it('mean length matches the analytic value and is within ±25 % of 64 KiB', () => {
    const { mean, shareBelowAvg } = expectedMeanLength();
    expect(mean).toBeCloseTo(74_770, -2); // guard the formula itself
    const chunks = chunkBuffer(seededBytes(32 * 1024 * KiB, 0xc0ffee)).slice(0, -1);
    const lengths = chunks.map((c) => c.length);
    const observed = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    // ~440 chunks, sd of a length ≈ 30 KB: standard error ≈ 2 %; allow 6 %.
    expect(Math.abs(observed / mean - 1)).toBeLessThan(0.06);
    expect(Math.abs(observed / AVG - 1)).toBeLessThan(0.25);
    // Share of chunks cut by the hard mask: binomial sd ≈ 0.018 at n ≈ 440; allow 0.06.
    const below = lengths.filter((l) => l < AVG).length / lengths.length;
    expect(Math.abs(below - shareBelowAvg)).toBeLessThan(0.06);
  });
});

describe('boundary resynchronisation after an edit', () => {
  it('after inserting or deleting a few bytes, boundaries re-align and stay aligned', () => {
    const edit = fc.record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      at: fc.integer({ min: 512 * KiB, max: 1536 * KiB }),
      insert: fc.boolean(),
      count: fc.integer({ min: 1, max: 16 }),
    });
    fc.assert(
      fc.property(edit, ({ seed, at, insert, count }) => {
        const before = seededBytes(3 * 1024 * KiB, seed);
        const after = insert
          ? concat(before.subarray(0, at), seededBytes(count, seed ^ 0x55aa), before.subarray(at))
          : concat(before.subarray(0, at), before.subarray(at + count));
        const delta = insert ? count : -count;
        const old = chunkBuffer(before);
        const now = chunkBuffer(after);
        // Chunks that end before the edit cannot see it (the chunker only looks backwards).
        const untouched = old.filter((c) => c.offset + c.length <= at);
        expect(now.slice(0, untouched.length)).toEqual(untouched);
        // The first shared cut after the edit comes within 4 max-size chunks (measured p99 is
        // ~128 KiB over 300 edits); from it on, every chunk is the old chunk shifted by delta.
        const oldEnds = new Set(old.map((c) => c.offset + c.length));
        const k = now.findIndex((c) => c.offset > at + Math.max(delta, 0) && oldEnds.has(c.offset - delta));
        expect(k).toBeGreaterThan(0);
        expect(now[k]!.offset).toBeLessThan(at + 4 * MAX);
        const tail = now.slice(k).map((c) => ({ offset: c.offset - delta, length: c.length }));
        expect(old.slice(old.length - tail.length)).toEqual(tail);
        expect(tail.length).toBeGreaterThan(10); // the shared tail is most of the last 1.5 MiB
      }),
      { numRuns: 20 },
    );
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
