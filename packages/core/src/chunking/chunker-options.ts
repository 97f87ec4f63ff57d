import { InvalidInputError } from '../errors.ts';

/** Sizes in bytes. Defaults are the storage format (DESIGN.md, Storage): 16 / 64 / 256 KiB. */
export interface ChunkerOptions {
  /** No cut before this many bytes (cut-point skipping: those bytes are not even hashed). */
  minSize?: number;
  /** Target average; must be a power of two (it sets the mask widths). */
  avgSize?: number;
  /** Forced cut at this many bytes. */
  maxSize?: number;
}

/**
 * Bytes of history that decide a cut. The gear hash shifts left once per byte, so after 32 steps a
 * 32-bit state no longer holds any trace of older bytes: the cut test is a pure function of the
 * last 32 bytes and of the current chunk length. That is what makes boundaries resynchronise
 * after an edit.
 */
export const GEAR_WINDOW = 32;

/** FastCDC normalisation level 2: mask 2 bits harder below the average, 2 bits easier above. */
export const NORMALIZATION_LEVEL = 2;

export const DEFAULT_CHUNKER_OPTIONS = {
  minSize: 16 * 1024,
  avgSize: 64 * 1024,
  maxSize: 256 * 1024,
} as const satisfies Required<ChunkerOptions>;

export interface ChunkerParams {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  /** Cut test `(hash & mask) === 0` for chunk lengths in [minSize, avgSize). */
  readonly maskSmall: number;
  /** Cut test for chunk lengths in [avgSize, maxSize]. */
  readonly maskLarge: number;
}

/**
 * Mask with the `bits` highest bits set, as a signed int32. High bits of a gear hash depend on
 * more bytes than low ones (bit k sees the last k+1 bytes), so the test uses the top of the word.
 * The large mask's bits are a subset of the small mask's, so any position that passes the hard
 * test also passes the easy one; that helps two chunkers that disagree on lengths meet again.
 */
function topBitsMask(bits: number): number {
  return ~(2 ** (32 - bits) - 1) | 0;
}

export function resolveChunkerParams(opts: ChunkerOptions = {}): ChunkerParams {
  const minSize = opts.minSize ?? DEFAULT_CHUNKER_OPTIONS.minSize;
  const avgSize = opts.avgSize ?? DEFAULT_CHUNKER_OPTIONS.avgSize;
  const maxSize = opts.maxSize ?? DEFAULT_CHUNKER_OPTIONS.maxSize;
  const details = { minSize, avgSize, maxSize };
  for (const [name, v] of Object.entries(details)) {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new InvalidInputError(`chunker ${name} must be a positive integer`, details);
    }
  }
  if (minSize < GEAR_WINDOW) {
    throw new InvalidInputError(`chunker minSize must be at least ${GEAR_WINDOW} bytes`, details);
  }
  if (!(minSize < avgSize && avgSize < maxSize)) {
    throw new InvalidInputError('chunker sizes must satisfy minSize < avgSize < maxSize', details);
  }
  const bits = Math.log2(avgSize);
  if (!Number.isInteger(bits) || bits - NORMALIZATION_LEVEL < 1 || bits + NORMALIZATION_LEVEL > 31) {
    throw new InvalidInputError('chunker avgSize must be a power of two between 8 and 2^29', details);
  }
  return {
    minSize,
    avgSize,
    maxSize,
    maskSmall: topBitsMask(bits + NORMALIZATION_LEVEL),
    maskLarge: topBitsMask(bits - NORMALIZATION_LEVEL),
  };
}
