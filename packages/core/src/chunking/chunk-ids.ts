import { InvalidInputError } from '../errors.ts';
import type { ChunkBoundary } from './chunker.ts';

/**
 * Content hash of one chunk, as the chunk id. The storage format uses lowercase hex SHA-256;
 * core stays free of `node:crypto`, so callers pass it in (Node: `createHash('sha256')`, a
 * browser: a synchronous SHA-256 implementation).
 */
export type ChunkHasher = (bytes: Uint8Array) => string;

/** A chunk of a file: its id (content hash) and where it sits in the file, in bytes. */
export interface ChunkRef {
  id: string;
  offset: number;
  length: number;
}

/**
 * Hash each chunk of `bytes`. `baseOffset` is the stream offset of `bytes[0]`, so a streaming
 * caller can hand over just the window that holds the boundaries returned by one `push`.
 *
 * @example
 * const sha256: ChunkHasher = (b) => createHash('sha256').update(b).digest('hex');
 * const refs = identifyChunks(file, chunkBuffer(file), sha256);
 */
export function identifyChunks(
  bytes: Uint8Array,
  boundaries: readonly ChunkBoundary[],
  hasher: ChunkHasher,
  baseOffset = 0,
): ChunkRef[] {
  return boundaries.map(({ offset, length }) => {
    const start = offset - baseOffset;
    if (start < 0 || length < 0 || start + length > bytes.length) {
      throw new InvalidInputError('chunk boundary lies outside the given bytes', {
        offset,
        length,
        baseOffset,
        available: bytes.length,
      });
    }
    return { id: hasher(bytes.subarray(start, start + length)), offset, length };
  });
}
