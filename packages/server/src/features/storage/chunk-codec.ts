import { createHash } from 'node:crypto';
import type { FrameEncoding } from '@steward/core';
import { Compressor, Decompressor } from 'zstd-napi';

export type Compression = 'none' | 'zstd';

/** zstd level 3: fast enough to run inline on a push. */
const LEVEL = 3;
/** The probe: 4 slices of 2 KiB spread over the chunk. A chunk whose probe saves under 3% is stored raw. */
const SLICE = 2 * 1024;
const SLICES = 4;

function probe(raw: Uint8Array): Buffer {
  const step = (raw.length - SLICE) / (SLICES - 1);
  return Buffer.concat(Array.from({ length: SLICES }, (_, i) => raw.subarray(Math.floor(i * step), Math.floor(i * step) + SLICE)));
}

// One context each, reused: creating a zstd context per 64 KiB chunk costs more than compressing it.
// Safe to share: calls are synchronous and Node runs them on one thread.
const compressor = new Compressor();
compressor.setParameters({ compressionLevel: LEVEL });
const decompressor = new Decompressor();
const compress = (b: Uint8Array) => compressor.compress(b);

/** True when 4 slices of 2 KiB spread over a (large) chunk save under 3 % with zstd. */
function probeSaysRaw(raw: Uint8Array): boolean {
  return raw.length > 4 * SLICE * SLICES && compress(probe(raw)).length > SLICE * SLICES * 0.97;
}

/**
 * Stored form of one chunk. Compressed only when zstd saves at least 5%: model weights are mostly
 * incompressible floats, and keeping those raw spares every reader a decompression.
 */
export function encodeChunk(raw: Uint8Array): { bytes: Uint8Array; compression: Compression } {
  if (raw.length < 64) return { bytes: raw, compression: 'none' };
  // Random-looking data (most weights) fails the probe, so it costs an 8 KiB compression, not 64 KiB.
  if (probeSaysRaw(raw)) return { bytes: raw, compression: 'none' };
  const z = compress(raw);
  return z.length <= raw.length * 0.95 ? { bytes: z, compression: 'zstd' } : { bytes: raw, compression: 'none' };
}

/** Inverse of encodeChunk; throws if the stored bytes do not decode to `rawLength` bytes. */
export function decodeChunk(stored: Uint8Array, compression: string, rawLength: number): Buffer {
  const out = compression === 'zstd' ? decompressor.decompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (out.length !== rawLength) throw new Error(`chunk decodes to ${out.length} bytes, index says ${rawLength}`);
  return out;
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
