import { GEAR } from './gear-table.ts';
import { gearScan, type GearScan, type GearState } from './gear-scan.ts';
import { GEAR_WINDOW, resolveChunkerParams, type ChunkerOptions } from './chunker-options.ts';

/** A chunk as a byte range of the whole stream (absolute offset, not relative to a push). */
export interface ChunkBoundary {
  offset: number;
  length: number;
}

/**
 * Streaming content-defined chunker. Feed any split of the input; boundaries are identical to
 * `chunkBuffer` on the concatenation. It keeps no bytes, only a hash and two counters, so memory
 * stays constant however large the file is.
 */
export interface Chunker {
  /** Consume `bytes`; returns the chunks that end inside them (possibly none). */
  push(bytes: Uint8Array): ChunkBoundary[];
  /** End of input: returns the last, possibly short, chunk (none if it would be empty). */
  finish(): ChunkBoundary[];
}

/** Gear-hash [from, to) without testing for a cut. */
function warm(bytes: Uint8Array, from: number, to: number, state: GearState): void {
  let h = state.h;
  for (let i = from; i < to; i++) h = ((h << 1) + GEAR[bytes[i]!]!) | 0;
  state.h = h;
}

/**
 * FastCDC-style chunker (Xia et al., USENIX ATC 2016, and the 2020 TPDS follow-up): gear rolling
 * hash, cut-point skipping below `minSize`, normalised chunking level 2 (harder mask before
 * `avgSize`, easier after), forced cut at `maxSize`. Hashing starts `GEAR_WINDOW` bytes before
 * the first allowed cut so every cut test sees a full window. The hashing loop runs in
 * WebAssembly where it loads (gear-scan.ts), else in JS: the same boundaries either way.
 *
 * @example
 * const chunker = createChunker();
 * const chunks = [...chunker.push(piece1), ...chunker.push(piece2), ...chunker.finish()];
 */
export function createChunker(opts?: ChunkerOptions): Chunker {
  return createChunkerWith(gearScan(), opts);
}

/** `createChunker` with a given scan loop (benchmarks compare the JS and WebAssembly ones). */
export function createChunkerWith(scan: GearScan, opts?: ChunkerOptions): Chunker {
  const { minSize, avgSize, maxSize, maskSmall, maskLarge } = resolveChunkerParams(opts);
  const hashFrom = minSize - GEAR_WINDOW; // chunk-relative index of the first hashed byte
  const state: GearState = { h: 0 };
  let chunkStart = 0; // absolute offset of the current chunk
  let consumed = 0; // absolute offset of the next byte
  let finished = false;

  function push(bytes: Uint8Array): ChunkBoundary[] {
    if (finished) throw new Error('chunker: push() after finish()');
    const out: ChunkBoundary[] = [];
    const base = consumed;
    const n = bytes.length;
    let i = 0;
    while (i < n) {
      const len = base + i - chunkStart; // bytes of the current chunk consumed so far
      let cut = -1;
      if (len < hashFrom) {
        i += Math.min(n - i, hashFrom - len); // skipped: cannot influence any cut test
        continue;
      } else if (len < minSize - 1) {
        // Warm-up: hash without testing until the byte that would make the chunk minSize long.
        const to = i + Math.min(n - i, minSize - 1 - len);
        warm(bytes, i, to, state);
        i = to;
        continue;
      } else if (len < avgSize - 1) {
        // The byte at chunk index len yields length len+1; lengths < avgSize use the hard mask.
        const to = i + Math.min(n - i, avgSize - 1 - len);
        cut = scan(bytes, i, to, maskSmall, state);
        if (cut < 0) i = to;
      } else {
        const to = i + Math.min(n - i, maxSize - len);
        cut = scan(bytes, i, to, maskLarge, state);
        if (cut < 0) {
          i = to;
          if (base + i - chunkStart === maxSize) cut = i;
        }
      }
      if (cut >= 0) {
        i = cut;
        out.push({ offset: chunkStart, length: base + i - chunkStart });
        chunkStart = base + i;
        state.h = 0;
      }
    }
    consumed = base + n;
    return out;
  }

  function finish(): ChunkBoundary[] {
    if (finished) return [];
    finished = true;
    return consumed > chunkStart ? [{ offset: chunkStart, length: consumed - chunkStart }] : [];
  }

  return { push, finish };
}

/** Boundaries of a whole buffer; same result as streaming it through `createChunker`. */
export function chunkBuffer(bytes: Uint8Array, opts?: ChunkerOptions): ChunkBoundary[] {
  const chunker = createChunker(opts);
  const out = chunker.push(bytes);
  for (const last of chunker.finish()) out.push(last);
  return out;
}
