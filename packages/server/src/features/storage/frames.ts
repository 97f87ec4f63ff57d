import { encodedLengthWord, FRAME_HEADER_BYTES as HEADER, InvalidInputError, MAX_BATCH_FRAMES, StewardError, type FrameEncoding } from '@steward/core';
import { MAX_CHUNK } from './chunker.ts';
import { digestSlices, type StoredForm } from './sha256-worker.ts';

export interface Frame {
  id: string;
  bytes: Buffer;
  /** How to store it, when the worker judged it already (parseFrames with `encodeInto`). */
  stored?: StoredForm;
}

/**
 * Parses and verifies a whole batch `[sha256][u32 BE length][bytes]…` before anything is stored:
 * the caller gets either every frame checked or an error (nothing half-stored). A body read into
 * a BodyBuffers buffer (shared memory) is hashed on the SHA-256 worker thread, in place; others on
 * this thread. (WebCrypto's digest, on libuv's pool, copies its input first: ~1.7× the CPU.)
 * With `encodeInto` (shared memory of at least the body's length) the worker also decides how
 * each frame is stored and compresses those kept as zstd into it (Frame.stored), which spares the
 * event loop the probes and compression of a batch (10–40 ms of an 8 MiB int8 batch).
 */
export async function parseFrames(body: Buffer, encodeInto?: Buffer): Promise<Frame[]> {
  const frames = splitFrames(body);
  const { hexes, stored } = await digestSlices(
    frames.map((f) => f.bytes),
    encodeInto,
  );
  frames.forEach((f, i) => {
    if (hexes[i] !== f.id) throw new StewardError('chunk_digest_mismatch', `chunk ${f.id} hashes to ${hexes[i]}`, 422, { id: f.id, actual: hexes[i] });
    const s = stored[i];
    if (s) f.stored = s;
  });
  return frames;
}

/** The frames of a batch, checked for shape only (ids not yet verified). */
export function splitFrames(body: Buffer): Frame[] {
  const frames: Frame[] = [];
  let at = 0;
  while (at < body.length) {
    if (frames.length >= MAX_BATCH_FRAMES) throw new InvalidInputError(`a batch holds at most ${MAX_BATCH_FRAMES} chunks`, { max: MAX_BATCH_FRAMES }, 'too_many_chunks');
    if (body.length - at < HEADER) throw new InvalidInputError(`frame ${frames.length} is truncated: ${body.length - at} header bytes of ${HEADER}`, { frame: frames.length }, 'truncated_batch');
    const id = body.subarray(at, at + 32).toString('hex');
    const len = body.readUInt32BE(at + 32);
    if (len > MAX_CHUNK) throw new InvalidInputError(`chunk ${id} is ${len} bytes, over the ${MAX_CHUNK}-byte maximum`, { id, size: len, max: MAX_CHUNK }, 'chunk_too_large');
    at += HEADER;
    if (body.length - at < len) throw new InvalidInputError(`chunk ${id} is truncated: ${body.length - at} of ${len} bytes`, { id, frame: frames.length }, 'truncated_batch');
    frames.push({ id, bytes: body.subarray(at, at + len) });
    at += len;
  }
  return frames;
}

export function encodeFrame(id: string, bytes: Uint8Array): [head: Buffer, bytes: Buffer] {
  return [frameHead(id, bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}

/**
 * The 36 bytes before a frame's payload. allocUnsafe takes them from Node's shared 8 KiB slab
 * (every byte is written): Buffer.alloc made a separate ArrayBuffer per frame, 65,536 of them
 * per 4 GiB pull.
 */
function frameHead(id: string, word: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER);
  if (head.write(id, 0, 32, 'hex') !== 32) throw new Error(`not a SHA-256: ${id}`);
  head.writeUInt32BE(word, 32);
  return head;
}

/** A frame of an encoded fetch answer: its length word also says how the bytes are encoded (core's frame-format.ts). */
export function encodeWireFrame(id: string, bytes: Uint8Array, encoding: FrameEncoding): [head: Buffer, bytes: Buffer] {
  return [frameHead(id, encodedLengthWord(bytes.length, encoding)), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}
