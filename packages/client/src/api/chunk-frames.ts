/**
 * Encoding and decoding of the chunk wire format (core's frame-format.ts defines it):
 * `[32 bytes raw SHA-256][4 bytes big-endian length word][bytes]`, back to back. Pure (no Node
 * APIs), so browsers and agents can use it too.
 */
import { FRAME_HEADER_BYTES, MAX_BATCH_FRAMES, readEncodedLengthWord, type FrameEncoding } from '@steward/core';

export { FRAME_HEADER_BYTES, MAX_BATCH_BYTES, MAX_BATCH_FRAMES, type FrameEncoding } from '@steward/core';

/** Largest chunk (and so largest frame payload; an encoded frame is never bigger than its chunk). */
export const MAX_FRAME_BYTES = 256 * 1024;

export interface ChunkFrame {
  /** Lowercase hex SHA-256 of `bytes` (of the decoded bytes, when `encoding` is not raw). */
  id: string;
  bytes: Uint8Array;
  /**
   * Only in encoded fetch answers: 'zstd' (a zstd frame), 'zstd-dict' (zstd with the bases sent
   * for this id, concatenated, as a raw content dictionary), or 'raw'.
   */
  encoding?: FrameEncoding;
}


function hexToBytes(hex: string, out: Uint8Array, at: number): void {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a lowercase hex SHA-256: ${hex}`);
  for (let i = 0; i < 32; i++) out[at + i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function bytesToHex(b: Uint8Array, at: number): string {
  let s = '';
  for (let i = 0; i < 32; i++) s += HEX[b[at + i]!]!;
  return s;
}

/**
 * One request body holding `frames` back to back.
 * @example
 * const body = encodeFrames([{ id: sha256hex(bytes), bytes }]);
 */
export function encodeFrames(frames: readonly ChunkFrame[]): Uint8Array {
  const total = frames.reduce((n, f) => n + FRAME_HEADER_BYTES + f.bytes.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    hexToBytes(f.id, out, at);
    view.setUint32(at + 32, f.bytes.length, false);
    out.set(f.bytes, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + f.bytes.length;
  }
  return out;
}

/**
 * Incremental frame parser for a streamed answer: feed network pieces of any size, get whole
 * frames out. Holds at most one partial frame (≤ 256 KiB + header), never the whole answer.
 */
export class FrameDecoder {
  #buf = new Uint8Array(0);
  readonly #encoded: boolean;

  /** @param encoded the answer is `application/vnd.steward.chunk-frames+zstd`: the length word's top 2 bits are the encoding. */
  constructor(opts: { encoded?: boolean } = {}) {
    this.#encoded = opts.encoded ?? false;
  }

  /** Consume `piece`; returns the frames completed by it (their bytes are copies, safe to keep). */
  push(piece: Uint8Array): ChunkFrame[] {
    let buf = piece;
    if (this.#buf.length > 0) {
      buf = new Uint8Array(this.#buf.length + piece.length);
      buf.set(this.#buf, 0);
      buf.set(piece, this.#buf.length);
    }
    const out: ChunkFrame[] = [];
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_BYTES) {
      const word = new DataView(buf.buffer, buf.byteOffset + at + 32, 4).getUint32(0, false);
      const encoded = this.#encoded ? readEncodedLengthWord(word) : undefined;
      const len = encoded ? encoded.length : word;
      if (len > MAX_FRAME_BYTES) throw new Error(`chunk stream: a frame of ${len} bytes is over the ${MAX_FRAME_BYTES}-byte chunk maximum`);
      if (buf.length - at - FRAME_HEADER_BYTES < len) break;
      const start = at + FRAME_HEADER_BYTES;
      const frame: ChunkFrame = { id: bytesToHex(buf, at), bytes: buf.slice(start, start + len) };
      if (encoded) {
        if (!encoded.encoding) throw new Error(`chunk ${frame.id}: unknown frame encoding ${word >>> 30}`);
        frame.encoding = encoded.encoding;
      }
      out.push(frame);
      at = start + len;
    }
    this.#buf = buf.slice(at);
    return out;
  }

  /** Throws if the stream ended inside a frame. */
  end(): void {
    if (this.#buf.length > 0) throw new Error(`chunk stream truncated: ${this.#buf.length} trailing bytes`);
  }
}

/** Splits items into batches of at most `maxBytes` (by `sizeOf` + header) and `maxFrames` each. */
export function batchBySize<T>(items: readonly T[], sizeOf: (t: T) => number, maxBytes: number, maxFrames = MAX_BATCH_FRAMES): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const it of items) {
    const n = sizeOf(it) + FRAME_HEADER_BYTES;
    if (cur.length > 0 && (bytes + n > maxBytes || cur.length >= maxFrames)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
