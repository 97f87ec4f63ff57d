// FastCDC lives in core (packages/core/src/chunking); re-exported here so storage code has one import.
export { chunkBuffer, createChunker, DEFAULT_CHUNKER_OPTIONS } from '@steward/core';

/** Chunks larger than this are refused on upload (the chunker's maximum, 256 KiB). */
export const MAX_CHUNK = 256 * 1024;
