import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ObjectStore } from './object-store.ts';

export const MiB = 1024 * 1024;

export async function readAll(rs: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of rs) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export async function sha256Of(rs: Readable): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of rs) {
    h.update(c as Buffer);
    size += (c as Buffer).byteLength;
  }
  return { sha256: h.digest('hex'), size };
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * A large object generated on the fly: byte `o` is `block[o % block.length]` with a random 1 MiB
 * block, so any range can be recomputed without keeping the object. Chunks come in uneven sizes
 * so part boundaries never line up with chunk boundaries.
 */
export class PatternObject {
  readonly block = randomBytes(MiB);
  constructor(readonly size: number) {}

  slice(start: number, endInclusive: number): Buffer {
    const out = Buffer.alloc(endInclusive - start + 1);
    for (let o = start; o <= endInclusive; o++) out[o - start] = this.block[o % this.block.length]!;
    return out;
  }

  /** SHA-256 computed here, independently of the store. */
  sha256(): string {
    const h = createHash('sha256');
    for (const c of this.chunks()) h.update(c);
    return h.digest('hex');
  }

  *chunks(): Generator<Buffer> {
    const sizes = [65_536, 1_000_003, 7, 300_001, MiB];
    let o = 0;
    for (let i = 0; o < this.size; i++) {
      const n = Math.min(sizes[i % sizes.length]!, this.size - o);
      const at = o % this.block.length;
      // Assemble from the block, wrapping around its end.
      const first = this.block.subarray(at, Math.min(at + n, this.block.length));
      yield first.byteLength === n ? first : Buffer.concat([first, this.block.subarray(0, n - first.byteLength)]);
      o += n;
    }
  }

  async *body(): AsyncGenerator<Buffer> {
    for (const c of this.chunks()) {
      yield c;
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Yields `before` bytes, aborts `ctl`, then hangs forever, like a client that stalls. */
export async function* stallingBodyThenAbort(ctl: AbortController, before: number): AsyncGenerator<Buffer> {
  const chunk = randomBytes(Math.min(before, MiB));
  for (let sent = 0; sent < before; sent += chunk.byteLength) yield chunk;
  ctl.abort();
  await new Promise(() => {});
}

/** Asserts the store holds no objects at all. */
export async function listAll(store: ObjectStore): Promise<string[]> {
  return (await collect(store.list(''))).map((s) => s.key);
}
