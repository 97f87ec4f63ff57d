import { InvalidInputError, PayloadTooLargeError } from '@steward/core';
import { noteTransfer } from '../memory-trim.ts';

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
    noteTransfer(n);
    return out;
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of body) {
    n += p.length;
    if (n > max) throw new PayloadTooLargeError(`request body is over ${max} bytes`, { max });
    parts.push(p); // socket pieces are not reused by Node: keeping them is safe, concat copies once
  }
  noteTransfer(n);
  return Buffer.concat(parts, n);
}
