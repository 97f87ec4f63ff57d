export { chunkBuffer, createChunker, type ChunkBoundary, type Chunker } from './chunker.ts';
export {
  DEFAULT_CHUNKER_OPTIONS,
  resolveChunkerParams,
  type ChunkerOptions,
  type ChunkerParams,
} from './chunker-options.ts';
export { identifyChunks, type ChunkHasher, type ChunkRef } from './chunk-ids.ts';
export { seededBytes } from './seeded-bytes.ts';
export {
  ENCODED_FRAMES_TYPE,
  encodedLengthWord,
  FRAME_ENCODINGS,
  FRAME_HEADER_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_FRAMES,
  MAX_RECIPE_BATCH_IDS,
  MAX_RECIPE_QUERY_BYTES,
  MAX_RECIPE_QUERY_DIGESTS,
  MAX_RECIPES_PER_BATCH,
  readEncodedLengthWord,
  type FrameEncoding,
} from './frame-format.ts';
