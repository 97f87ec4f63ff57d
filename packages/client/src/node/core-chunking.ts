// The chunker lives in @steward/core (chunking/); one import point for the client's node code.
export { createChunker, type ChunkBoundary } from '@steward/core';
