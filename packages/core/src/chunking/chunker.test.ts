import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { chunkBuffer, createChunker, type ChunkBoundary, type Chunker } from './chunker.ts';
import type { ChunkerOptions } from './chunker-options.ts';
import { seededBytes } from './seeded-bytes.ts';

const KiB = 1024;

function streamed(chunker: Chunker, bytes: Uint8Array, cuts: number[]): ChunkBoundary[] {
  const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
  const out: ChunkBoundary[] = [];
  for (let k = 0; k + 1 < points.length; k++) {
    out.push(...chunker.push(bytes.subarray(points[k], points[k + 1])));
  }
  out.push(...chunker.finish());
  return out;
}

/** Chunks tile the input exactly: contiguous, non-empty, covering [0, n). */
function expectTiling(chunks: ChunkBoundary[], n: number): void {
  let next = 0;
  for (const c of chunks) {
    expect(c.offset).toBe(next);
    expect(c.length).toBeGreaterThan(0);
    next += c.length;
  }
  expect(next).toBe(n);
}

describe('chunkBuffer', () => {
  it('tiles random data with every chunk but the last within [16 KiB, 256 KiB]', () => {
    const bytes = seededBytes(24 * 1024 * KiB, 7);
    const chunks = chunkBuffer(bytes);
    expectTiling(chunks, bytes.length);
    expect(chunks.length).toBeGreaterThan(200);
    for (const c of chunks.slice(0, -1)) {
      expect(c.length).toBeGreaterThanOrEqual(16 * KiB);
      expect(c.length).toBeLessThanOrEqual(256 * KiB);
    }
    expect(chunks.at(-1)!.length).toBeLessThanOrEqual(256 * KiB);
  });

  it('cuts constant data at a fixed length (min or max), never in between', () => {
    for (const value of [0, 0x41, 0xff]) {
      const lengths = chunkBuffer(new Uint8Array(2048 * KiB).fill(value)).map((c) => c.length);
      const body = lengths.slice(0, -1);
      expect(new Set(body).size).toBe(1);
      expect([16 * KiB, 256 * KiB]).toContain(body[0]);
    }
  });

  it('returns no chunk for empty input and one chunk for input shorter than min', () => {
    expect(chunkBuffer(new Uint8Array(0))).toEqual([]);
    expect(chunkBuffer(seededBytes(1000, 1))).toEqual([{ offset: 0, length: 1000 }]);
  });

  it('rejects inconsistent options with InvalidInputError', () => {
    const bad: ChunkerOptions[] = [
      { minSize: 16, avgSize: 64, maxSize: 256 }, // min below the 32-byte window
      { minSize: 1024, avgSize: 1000, maxSize: 4096 }, // avg not a power of two
      { minSize: 4096, avgSize: 4096, maxSize: 8192 }, // min == avg
      { minSize: 1024, avgSize: 4096, maxSize: 4096 }, // avg == max
      { minSize: 1.5 },
      { maxSize: -1 },
    ];
    for (const opts of bad) expect(() => createChunker(opts)).toThrow(InvalidInputError);
  });
});

describe('createChunker (streaming)', () => {
  it('equals chunkBuffer for any split of arbitrary data (small sizes)', () => {
    const opts = { minSize: 64, avgSize: 256, maxSize: 1024 };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000, size: 'max' }), fc.array(fc.nat(), { maxLength: 40, size: 'max' }), (bytes, cuts) => {
        const expected = chunkBuffer(bytes, opts);
        expectTiling(expected, bytes.length);
        expect(streamed(createChunker(opts), bytes, cuts)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('equals chunkBuffer for any split of 3 MiB of random data (default sizes)', () => {
    const bytes = seededBytes(3 * 1024 * KiB, 11);
    const expected = chunkBuffer(bytes);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 60, size: 'max' }), (cuts) => {
        expect(streamed(createChunker(), bytes, cuts)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('handles one-byte pushes', () => {
    const opts = { minSize: 32, avgSize: 64, maxSize: 128 };
    const bytes = seededBytes(5000, 3);
    const chunker = createChunker(opts);
    const out: ChunkBoundary[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...chunker.push(bytes.subarray(i, i + 1)));
    out.push(...chunker.finish());
    expect(out).toEqual(chunkBuffer(bytes, opts));
  });

  it('finish is idempotent and push after finish throws', () => {
    const chunker = createChunker();
    chunker.push(seededBytes(10, 1));
    expect(chunker.finish()).toEqual([{ offset: 0, length: 10 }]);
    expect(chunker.finish()).toEqual([]);
    expect(() => chunker.push(new Uint8Array(1))).toThrow(/after finish/);
  });
});
