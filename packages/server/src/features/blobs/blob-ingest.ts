import { createHash } from 'node:crypto';
import { DigestMismatchError } from '@steward/core';
import { iso } from '../../lib/context.ts';
import { SizeMismatchError } from '../../storage/put-body.ts';
import { sha256Hex } from '../storage/chunk-codec.ts';
import { touchAndFind } from '../storage/chunk-index.ts';
import { createChunker } from '../storage/chunker.ts';
import type { PackWriter } from '../storage/pack-writer.ts';
import type { StorageDb } from '../storage/storage.tables.ts';
import type { RecipeChunk } from './blob-recipe.ts';

/** Chunks whose existence is checked in one round trip (~4 MiB at the 64 KiB average). */
const DEDUP_BATCH = 64;

/**
 * Streams `body` through FastCDC while hashing the whole file, and queues every chunk the store
 * lacks into `writer`. Returns the recipe; the caller commits it only if the digest matches.
 * Memory: at most one max-size chunk of carry-over plus one dedup batch plus the writer's pack.
 */
export async function ingest(
  deps: { db: StorageDb; now: () => Date },
  body: AsyncIterable<Uint8Array>,
  writer: PackWriter,
  expected: { sha256: string; size?: number },
): Promise<{ size: number; chunks: RecipeChunk[]; newBytes: number }> {
  const whole = createHash('sha256');
  const chunker = createChunker();
  const chunks: RecipeChunk[] = [];
  let queue: { id: string; bytes: Buffer }[] = [];
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0; // stream offset of carry[0]
  let size = 0;
  let newBytes = 0;

  const drain = async () => {
    if (queue.length === 0) return;
    const have = await touchAndFind(deps.db, queue.map((q) => q.id), iso(deps.now()));
    for (const q of queue) {
      chunks.push({ id: q.id, size: q.bytes.length });
      if (!have.has(q.id)) newBytes += await writer.add(q.id, q.bytes);
    }
    queue = [];
  };
  const take = async (bounds: { offset: number; length: number }[]) => {
    for (const b of bounds) {
      const bytes = carry.subarray(b.offset - carryOffset, b.offset - carryOffset + b.length);
      // No copy: `carry` buffers are never written to after creation (concat makes new ones).
      queue.push({ id: sha256Hex(bytes), bytes });
    }
    const last = bounds[bounds.length - 1];
    if (last) {
      carry = carry.subarray(last.offset + last.length - carryOffset);
      carryOffset = last.offset + last.length;
    }
    if (queue.length >= DEDUP_BATCH) await drain();
  };

  for await (const piece of body) {
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    size += bytes.length;
    if (expected.size !== undefined && size > expected.size) throw new SizeMismatchError(`upload is longer than ${expected.size} bytes`, { expected: expected.size });
    whole.update(bytes);
    carry = carry.length ? Buffer.concat([carry, bytes]) : bytes;
    await take(chunker.push(bytes));
  }
  await take(chunker.finish());
  await drain();
  if (expected.size !== undefined && size !== expected.size) throw new SizeMismatchError(`upload has ${size} bytes, expected ${expected.size}`, { expected: expected.size, received: size });
  const got = whole.digest('hex');
  if (got !== expected.sha256) throw new DigestMismatchError(`uploaded bytes hash to ${got}, expected ${expected.sha256}`, { expected: expected.sha256, actual: got });
  return { size, chunks, newBytes };
}
