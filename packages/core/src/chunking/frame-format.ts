/**
 * The chunk wire format shared by `POST /chunks` and `POST /chunks/fetch` (docs/storage.md): frames
 * `[32 bytes raw SHA-256][4 bytes big-endian uint32 length word][bytes]`, back to back. Defined
 * once here for the server, which parses uploads and writes fetch answers, and the client, which
 * does the opposite.
 */

/** Bytes of a frame header: 32 id bytes + 4 length bytes. */
export const FRAME_HEADER_BYTES = 36;
/** Largest request body / answer the contract allows, in bytes. */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Most frames (ids) per request. */
export const MAX_BATCH_FRAMES = 4096;

/** Most recipes, and most chunk ids in all, per `POST /blobs/recipes` (a push's small files, declared together). */
export const MAX_RECIPES_PER_BATCH = 1000;
export const MAX_RECIPE_BATCH_IDS = 100_000;
/** Most digests, and most bytes of the files they name, per `POST /blobs/recipes/query`. */
export const MAX_RECIPE_QUERY_DIGESTS = 1000;
export const MAX_RECIPE_QUERY_BYTES = 1024 * 1024 * 1024;

/** Content type of a fetch answer whose frames carry encodings; plain answers are application/octet-stream. */
export const ENCODED_FRAMES_TYPE = 'application/vnd.steward.chunk-frames+zstd';

/**
 * How a frame of an encoded fetch answer is encoded, by its code in the length word's top 2 bits:
 * 0 raw, 1 zstd, 2 zstd with the request's `bases` for this id (concatenated) as dictionary. The
 * low 30 bits are the length on the wire; chunks are ≤ 256 KiB, so the two never collide.
 */
export const FRAME_ENCODINGS = ['raw', 'zstd', 'zstd-dict'] as const;
export type FrameEncoding = (typeof FRAME_ENCODINGS)[number];

/** The length word of an encoded frame. */
export function encodedLengthWord(length: number, encoding: FrameEncoding): number {
  return ((FRAME_ENCODINGS.indexOf(encoding) << 30) | length) >>> 0;
}

/** Splits an encoded frame's length word; `encoding` is undefined for an unknown code. */
export function readEncodedLengthWord(word: number): { length: number; encoding: FrameEncoding | undefined } {
  return { length: word & 0x3fffffff, encoding: FRAME_ENCODINGS[word >>> 30] };
}
