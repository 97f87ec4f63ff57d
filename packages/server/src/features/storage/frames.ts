import { encodedLengthWord, FRAME_HEADER_BYTES as HEADER, InvalidInputError, MAX_BATCH_FRAMES, PayloadTooLargeError, StewardError, type FrameEncoding } from '@steward/core';
import { MAX_CHUNK } from './chunker.ts';
import { digestSlices } from './sha256-worker.ts';


export interface Frame {
  id: string;
  bytes: Buffer;
}

/**
 * Parses and verifies a whole batch `[sha256][u32 BE length][bytes]…` before anything is stored:
 * the caller gets either every frame checked or an error (nothing half-stored). A body read into
 * a BodyBuffers buffer (shared memory) is hashed on the SHA-256 worker thread, in place; others on
 * this thread. (WebCrypto's digest, on libuv's pool, copies its input first: ~1.7× the CPU.)
 */
export async function parseFrames(body: Buffer): Promise<Frame[]> {
  const frames = splitFrames(body);
  const got = await digestSlices(frames.map((f) => f.bytes));
  frames.forEach((f, i) => {
    if (got[i] !== f.id) throw new StewardError('chunk_digest_mismatch', `chunk ${f.id} hashes to ${got[i]}`, 422, { id: f.id, actual: got[i] });
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

/**
 * Request body buffers kept for reuse: a push sends a stream of ~8 MiB batches, and a fresh buffer
 * for each left ~100 MiB of dead buffers waiting for GC. Holds at most `keep` buffers of at most
 * `largest` bytes; `give` a buffer back only once nothing references its bytes any more.
 */
export class BodyBuffers {
  #free: Buffer[] = [];
  constructor(
    private readonly keep = 2,
    private readonly largest = 16 * 1024 * 1024,
  ) {}

  take(size: number): Buffer {
    const i = this.#free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.#free.splice(i, 1)[0]!.subarray(0, size);
    // Shared memory, so the SHA-256 worker can verify the frames where they are (parseFrames).
    return Buffer.from(new SharedArrayBuffer(size <= this.largest ? Math.max(size, 8 * 1024 * 1024) : size)).subarray(0, size);
  }

  give(buf: Buffer): void {
    const whole = Buffer.from(buf.buffer, 0, buf.buffer.byteLength);
    if (whole.length <= this.largest && this.#free.length < this.keep) this.#free.push(whole);
  }
}

/**
 * Reads a request body into memory, refusing more than `max` bytes as soon as they arrive. With a
 * Content-Length (`expected`) the bytes are copied once, straight into a buffer of that size
 * (a push moves every byte through here: a second copy showed up as GC time in profiles).
 */
export async function readBounded(body: AsyncIterable<Uint8Array>, max: number, expected?: number, scratch?: BodyBuffers): Promise<Buffer> {
  if (expected !== undefined && Number.isSafeInteger(expected) && expected >= 0) {
    if (expected > max) throw new PayloadTooLargeError(`request body is over ${max} bytes`, { max });
    const out = scratch ? scratch.take(expected) : Buffer.allocUnsafe(expected);
    let n = 0;
    for await (const p of body) {
      if (n + p.length > expected) throw new InvalidInputError(`request body is longer than its Content-Length ${expected}`, { expected }, 'truncated_batch');
      out.set(p, n);
      n += p.length;
    }
    if (n !== expected) throw new InvalidInputError(`request body ended after ${n} of ${expected} bytes`, { expected, received: n }, 'truncated_batch');
    return out;
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of body) {
    n += p.length;
    if (n > max) throw new PayloadTooLargeError(`request body is over ${max} bytes`, { max });
    parts.push(p); // socket pieces are not reused by Node: keeping them is safe, concat copies once
  }
  return Buffer.concat(parts, n);
}
