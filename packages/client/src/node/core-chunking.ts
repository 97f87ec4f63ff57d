// The chunker lives in @steward/core (chunking/). Until core's index re-exports that folder this
// one file reaches it by path; switch to `from '@steward/core'` once it does.
export { createChunker, type ChunkBoundary } from '../../../core/src/chunking/index.ts';
