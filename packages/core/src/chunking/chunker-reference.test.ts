import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkBuffer, type ChunkBoundary } from './chunker.ts';
import { GEAR } from './gear-table.ts';
import golden from './golden-boundaries.json' with { type: 'json' };
import { seededBytes } from './seeded-bytes.ts';

/**
 * Naive transcription of the spec, sharing nothing with the streaming code but the gear table:
 * for each candidate length L (min..max) recompute the 32-byte window hash from scratch in
 * unsigned arithmetic, and cut when its top `bits` bits are zero (bits = log2(avg) + 2 below avg,
 * log2(avg) - 2 from avg on), or at max. O(32) per byte: only for tests.
 */
function referenceChunks(bytes: Uint8Array, min: number, avg: number, max: number): ChunkBoundary[] {
  const windowHash = (end: number): number => {
    let h = 0;
    // `>>> 0` is ToUint32, i.e. exactly mod 2^32 on the non-negative sum.
    for (let j = end - 32; j < end; j++) h = (h * 2 + (GEAR[bytes[j]!]! >>> 0)) >>> 0;
    return h;
  };
  const avgBits = Math.log2(avg);
  const out: ChunkBoundary[] = [];
  let start = 0;
  while (start < bytes.length) {
    const remaining = bytes.length - start;
    let length = Math.min(remaining, max);
    for (let L = min; L < Math.min(max, remaining); L++) {
      const bits = L < avg ? avgBits + 2 : avgBits - 2;
      if (windowHash(start + L) < 2 ** (32 - bits)) {
        length = L;
        break;
      }
    }
    out.push({ offset: start, length });
    start += length;
  }
  return out;
}

describe('chunker against the naive reference', () => {
  it('matches the committed golden boundaries for a seeded 4 MiB buffer', () => {
    const bytes = seededBytes(golden.length, golden.seed);
    const offsets = chunkBuffer(bytes).map((c) => c.offset);
    expect(offsets).toEqual(golden.offsets);
    const ref = referenceChunks(bytes, 16 * 1024, 64 * 1024, 256 * 1024).map((c) => c.offset);
    expect(ref).toEqual(golden.offsets);
  });

  it('agrees with the reference on arbitrary and low-entropy inputs (small sizes)', () => {
    const sizes = fc.constantFrom(
      { minSize: 32, avgSize: 64, maxSize: 256 },
      { minSize: 64, avgSize: 256, maxSize: 1024 },
      { minSize: 100, avgSize: 128, maxSize: 131 },
    );
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 6000, size: 'max' }),
      fc.array(fc.constantFrom(0, 1, 255), { maxLength: 6000, size: 'max' }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(data, sizes, (bytes, opts) => {
        expect(chunkBuffer(bytes, opts)).toEqual(
          referenceChunks(bytes, opts.minSize, opts.avgSize, opts.maxSize),
        );
      }),
      { numRuns: 200 },
    );
  });
});
