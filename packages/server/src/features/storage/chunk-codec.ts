import { createHash } from 'node:crypto';
import { compress, decompress } from 'zstd-napi';

export type Compression = 'none' | 'zstd';

/** zstd level 3: fast enough to run inline on a push (hundreds of MB/s per core). */
const LEVEL = 3;

/**
 * Stored form of one chunk. Compressed only when zstd saves at least 5%: model weights are mostly
 * incompressible floats, and keeping those raw spares every reader a decompression.
 */
export function encodeChunk(raw: Uint8Array): { bytes: Uint8Array; compression: Compression } {
  if (raw.length < 64) return { bytes: raw, compression: 'none' };
  const z = compress(raw, { compressionLevel: LEVEL });
  return z.length <= raw.length * 0.95 ? { bytes: z, compression: 'zstd' } : { bytes: raw, compression: 'none' };
}

/** Inverse of encodeChunk; throws if the stored bytes do not decode to `rawLength` bytes. */
export function decodeChunk(stored: Uint8Array, compression: string, rawLength: number): Buffer {
  const out = compression === 'zstd' ? decompress(stored) : Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (out.length !== rawLength) throw new Error(`chunk decodes to ${out.length} bytes, index says ${rawLength}`);
  return out;
}

export const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
