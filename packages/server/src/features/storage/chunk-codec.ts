import { createHash } from 'node:crypto';
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

/**
 * Stored form of one chunk. Compressed only when zstd saves at least 5%: model weights are mostly
 * incompressible floats, and keeping those raw spares every reader a decompression.
 */
export function encodeChunk(raw: Uint8Array): { bytes: Uint8Array; compression: Compression } {
  if (raw.length < 64) return { bytes: raw, compression: 'none' };
  // Random-looking data (most weights) fails the probe, so it costs an 8 KiB compression, not 64 KiB.
  if (raw.length > 4 * SLICE * SLICES && compress(probe(raw)).length > SLICE * SLICES * 0.97) return { bytes: raw, compression: 'none' };
  const z = compress(raw);
  return z.length <= raw.length * 0.95 ? { bytes: z, compression: 'zstd' } : { bytes: raw, compression: 'none' };
}

/** Inverse of encodeChunk; throws if the stored bytes do not decode to `rawLength` bytes. */
export function decodeChunk(stored: Uint8Array, compression: string, rawLength: number): Buffer {
  const out = compression === 'zstd' ? decompressor.decompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (out.length !== rawLength) throw new Error(`chunk decodes to ${out.length} bytes, index says ${rawLength}`);
  return out;
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
