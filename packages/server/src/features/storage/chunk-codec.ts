import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FrameEncoding } from '@steward/core';
import { Compressor, Decompressor } from 'zstd-napi';

// The raw binding decodes into a caller's buffer (the Decompressor class always allocates). It is
// CommonJS that Node's ESM loader cannot see named exports in, hence require.
const { DCtx } = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');

export type Compression = 'none' | 'zstd';

/**
 * Storage: zstd level 1. On model weights (float16, int8) it saves exactly what level 3 does
 * (the gain is the entropy coding of exponent bytes, not matches) at twice the speed, and every
 * pushed byte that compresses goes through it. Fetch answers keep level 3 (they also search the
 * client's old bytes as a dictionary, where matches are the whole point).
 */
const STORE_LEVEL = 1;
const LEVEL = 3;
/** The probe: 4 slices of 2 KiB spread over the chunk. A chunk whose probe saves under 3% is stored raw. */
const SLICE = 2 * 1024;
const SLICES = 4;

/** The probe's bytes, copied into one reused buffer (compress reads it synchronously): every pull re-probes every raw chunk it sends. */
const probeBytes = Buffer.allocUnsafeSlow(SLICE * SLICES);
function probe(raw: Uint8Array): Buffer {
  const step = (raw.length - SLICE) / (SLICES - 1);
  for (let i = 0; i < SLICES; i++) probeBytes.set(raw.subarray(Math.floor(i * step), Math.floor(i * step) + SLICE), i * SLICE);
  return probeBytes;
}

// One context each, reused: creating a zstd context per 64 KiB chunk costs more than compressing it.
// Safe to share: calls are synchronous and Node runs them on one thread.
const compressor = new Compressor();
compressor.setParameters({ compressionLevel: LEVEL });
const storeCompressor = new Compressor();
storeCompressor.setParameters({ compressionLevel: STORE_LEVEL });
const decompressor = new Decompressor();
const dctx = new DCtx();
const compress = (b: Uint8Array) => compressor.compress(b);

/** True when 4 slices of 2 KiB spread over a (large) chunk save under 3 % with zstd. */
function probeSaysRaw(raw: Uint8Array, by: Compressor = compressor): boolean {
  return raw.length > 4 * SLICE * SLICES && by.compress(probe(raw)).length > SLICE * SLICES * 0.97;
}

/**
 * Stored form of one chunk. Compressed only when zstd saves at least 5%: model weights are mostly
 * incompressible floats, and keeping those raw spares every reader a decompression.
 */
export function encodeChunk(raw: Uint8Array): { bytes: Uint8Array; compression: Compression } {
  if (raw.length < 64) return { bytes: raw, compression: 'none' };
  // Random-looking data (most weights) fails the probe, so it costs an 8 KiB compression, not 64 KiB.
  if (probeSaysRaw(raw, storeCompressor)) return { bytes: raw, compression: 'none' };
  const z = storeCompressor.compress(raw);
  return z.length <= raw.length * 0.95 ? { bytes: z, compression: 'zstd' } : { bytes: raw, compression: 'none' };
}

/** Inverse of encodeChunk; throws if the stored bytes do not decode to `rawLength` bytes. */
export function decodeChunk(stored: Uint8Array, compression: string, rawLength: number): Buffer {
  const out = compression === 'zstd' ? decompressor.decompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (out.length !== rawLength) throw new Error(`chunk decodes to ${out.length} bytes, index says ${rawLength}`);
  return out;
}

/**
 * decodeChunk into `scratch` (at least `rawLength` bytes), for readers that only hash the bytes:
 * reading a file back to check its digest allocated one fresh buffer per chunk, all garbage at once.
 * The result is a view of `scratch` (or `stored` itself when stored raw), valid until the next call.
 */
export function decodeChunkInto(stored: Uint8Array, compression: string, rawLength: number, scratch: Buffer): Buffer {
  if (compression !== 'zstd') return decodeChunk(stored, compression, rawLength);
  if (scratch.length < rawLength) throw new Error(`scratch of ${scratch.length} bytes cannot hold a ${rawLength}-byte chunk`);
  // Exactly one frame of rawLength bytes fits; anything that decodes to more fails in zstd (dst too small).
  const n = dctx.decompress(scratch.subarray(0, rawLength), stored);
  if (n !== rawLength) throw new Error(`chunk decodes to ${n} bytes, index says ${rawLength}`);
  return scratch.subarray(0, n);
}

/**
 * Wire form of one chunk for a fetch answer (docs/storage.md, "Compressed fetch answers"): the
 * smallest of raw, the stored zstd bytes as they are (never re-compressed), zstd of a raw-stored
 * chunk, and zstd with `dict` (the client's copy of the old bytes at the same place) as a raw
 * content dictionary, which is what makes a chunk that is half unchanged cost only its changes.
 */
export function wireChunk(stored: Buffer, compression: string, rawLength: number, dict?: Uint8Array): { bytes: Buffer; encoding: FrameEncoding } {
  let best: { bytes: Buffer; encoding: FrameEncoding } =
    compression === 'zstd' ? { bytes: stored, encoding: 'zstd' } : { bytes: stored, encoding: 'raw' };
  const raw = () => decodeChunk(stored, compression, rawLength);
  if (compression !== 'zstd' && rawLength >= 64 && !probeSaysRaw(stored)) {
    // Stored raw: zstd saved < 5 % (or the probe said incompressible). A few % still count on a
    // metered link; but random-looking bytes (the probe says so) are not worth a 64 KiB attempt.
    const z = compress(stored);
    if (z.length < best.bytes.length) best = { bytes: z, encoding: 'zstd' };
  }
  if (dict && dict.length > 0 && rawLength >= 64) {
    const z = compressWithDict(raw(), dict);
    if (z && z.length < best.bytes.length) best = { bytes: z, encoding: 'zstd-dict' };
  }
  return best;
}

const dictCompressor = new Compressor();
/** zstd with `dict` as raw content; null if zstd refuses the dictionary. */
function compressWithDict(raw: Uint8Array, dict: Uint8Array): Buffer | null {
  try {
    dictCompressor.setParameters({ compressionLevel: LEVEL }); // also drops the previous dictionary
    dictCompressor.loadDictionary(dict);
    return dictCompressor.compress(raw);
  } catch {
    return null;
  }
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
