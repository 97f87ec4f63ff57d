import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DigestMismatchError, InvalidInputError } from '@steward/core';
import type { PutOptions, PutResult } from './object-store.ts';

export type PutBody = Readable | AsyncIterable<Uint8Array> | Uint8Array;

/**
 * The size-mismatch flavour of DigestMismatchError (same status 422, `instanceof` still holds).
 * Core's DigestMismatchError has no `code` parameter yet, so the code is overridden here.
 */
export class SizeMismatchError extends DigestMismatchError {
  override readonly code: string = 'size_mismatch';
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Yields the body as Buffers and stops as soon as `signal` aborts, even while the source is stuck
 * waiting for its next chunk (the pending `next()` is raced against the signal). On abort a
 * Readable source is destroyed and an iterator is asked to `return()`.
 */
export async function* iterateBody(body: PutBody, signal?: AbortSignal): AsyncGenerator<Buffer> {
  if (body instanceof Uint8Array) {
    signal?.throwIfAborted();
    if (body.byteLength > 0) yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, rejectAbort) => {
    if (!signal) return;
    onAbort = () => rejectAbort(abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {}); // observed below; avoid an unhandled rejection when never raced
  let finished = false;
  try {
    for (;;) {
      const r = await (signal ? Promise.race([it.next(), aborted]) : it.next());
      if (r.done) {
        finished = true;
        return;
      }
      const v = r.value;
      const buf = typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      if (buf.byteLength > 0) yield buf;
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      if (body instanceof Readable) body.destroy();
      // Not awaited: an async generator parked on an await would block return() forever.
      it.return?.().catch(() => {});
    }
  }
}

/** Hashes and counts bytes as they stream past, and checks them against the put's expectations. */
export class PutDigest {
  /** Absent when the caller neither checks nor wants the SHA-256 (`hash: false`): packs are written that way. */
  private readonly hash: Hash | undefined;
  size = 0;

  constructor(
    private readonly key: string,
    private readonly opts: PutOptions = {},
  ) {
    const { expectedSha256, expectedSize } = opts;
    this.hash = opts.hash === false && expectedSha256 === undefined ? undefined : createHash('sha256');
    if (expectedSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(expectedSha256)) {
      throw new InvalidInputError('expectedSha256 must be 64 hex characters', { key, expectedSha256 }, 'invalid_digest');
    }
    if (expectedSize !== undefined && !(Number.isSafeInteger(expectedSize) && expectedSize >= 0)) {
      throw new InvalidInputError('expectedSize must be a non-negative integer', { key, expectedSize });
    }
  }

  /** Adds a chunk; fails early once the stream is already longer than expectedSize. */
  update(chunk: Buffer): void {
    this.hash?.update(chunk);
    this.size += chunk.byteLength;
    const { expectedSize } = this.opts;
    if (expectedSize !== undefined && this.size > expectedSize) this.sizeMismatch();
  }

  /** Call once the body has ended; throws unless size and digest match what was expected. */
  finish(): PutResult {
    const { expectedSha256, expectedSize } = this.opts;
    if (expectedSize !== undefined && this.size !== expectedSize) this.sizeMismatch();
    if (!this.hash) return { size: this.size };
    const sha256 = this.hash.digest('hex');
    if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
      throw new DigestMismatchError(`object ${JSON.stringify(this.key)} hashed to ${sha256}, expected ${expectedSha256.toLowerCase()}`, {
        key: this.key,
        expectedSha256: expectedSha256.toLowerCase(),
        actualSha256: sha256,
      });
    }
    return { size: this.size, sha256 };
  }

  private sizeMismatch(): never {
    const { expectedSize } = this.opts;
    throw new SizeMismatchError(
      `object ${JSON.stringify(this.key)} is ${this.size > (expectedSize ?? 0) ? 'at least ' : ''}${this.size} bytes, expected ${expectedSize}`,
      { key: this.key, expectedSize, actualSize: this.size },
    );
  }
}

/** A Readable over an in-memory buffer (byte mode, not object mode), in 64 KiB chunks. */
export function readableFromBuffer(buf: Buffer): Readable {
  const CHUNK = 64 * 1024;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.byteLength; i += CHUNK) chunks.push(buf.subarray(i, i + CHUNK));
  return Readable.from(chunks, { objectMode: false });
}
