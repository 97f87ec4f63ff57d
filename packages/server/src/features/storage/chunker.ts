// The chunker lives in core (packages/core/src/chunking). Core's index does not re-export it yet;
// once it does, this becomes `export { createChunker, DEFAULT_CHUNKER_OPTIONS } from '@steward/core'`.
export { chunkBuffer, createChunker, DEFAULT_CHUNKER_OPTIONS } from '../../../../core/src/chunking/index.ts';

/** Chunks larger than this are refused on upload (the chunker's maximum, 256 KiB). */
export const MAX_CHUNK = 256 * 1024;
