import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { assertSha256, ConflictError, DigestMismatchError, NotFoundError } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import { iso } from '../../lib/context.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { batches, locate, touchAndFind } from '../storage/chunk-index.ts';
import { hashChunks, readChunks } from '../storage/chunk-reader.ts';
import { MAX_CHUNK } from '../storage/chunker.ts';
import { createPackWriter, DEFAULT_PACK_SIZE } from '../storage/pack-writer.ts';
import { storageDb } from '../storage/storage.tables.ts';
import { ingest } from './blob-ingest.ts';
import { commitRecipe, fullRecipe, recipeRange, type RecipeChunk } from './blob-recipe.ts';

/**
 * Key of a whole-object blob as stored before chunked storage (migration 0006). Blobs without
 * recipe rows are still read from here; new blobs are recipes over packed chunks.
 */
export const blobKey = (sha256: string) => `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;

export interface BlobServiceDeps {
  db: Kysely<Database>;
  objects: ObjectStore;
  now: () => Date;
  /** Target pack object size in bytes (default 64 MiB). */
  packSize?: number;
}

/**
 * Blobs are recipes: SHA-256, size and an ordered list of content-defined chunks stored in packs.
 * A blob row (and its recipe) is committed only after its whole-file digest matched, so a visible
 * blob always reads back exactly; anything written before a failure is unreferenced garbage for GC.
 */
export function createBlobService(deps: BlobServiceDeps) {
  const { objects, now } = deps;
  const db = storageDb(deps.db);
  const packSize = deps.packSize ?? DEFAULT_PACK_SIZE;
  const stat = (sha256: string) => db.selectFrom('blobs').select(['sha256', 'size']).where('sha256', '=', sha256).executeTakeFirst();
  const writer = () => createPackWriter({ db, objects, now, packSize });
  const hasRecipe = async (sha256: string) => !!(await db.selectFrom('blob_chunks').select('seq').where('blob_sha256', '=', sha256).limit(1).executeTakeFirst());

  /** Sizes of the stored blobs among `digests`. Stored ones are touched, so a GC grace period covers the draft that lists them. */
  async function storedSizes(digests: string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (digests.length === 0) return sizes;
    const nowIso = iso(now());
    for (const part of batches([...new Set(digests)])) {
      await db.updateTable('blobs').set({ touched_at: nowIso }).where('sha256', 'in', part).execute();
      for (const r of await db.selectFrom('blobs').select(['sha256', 'size']).where('sha256', 'in', part).execute()) sizes.set(r.sha256, Number(r.size));
    }
    return sizes;
  }

  return {
    stat,
    packSize,
    storedSizes,
    /** Digests not stored (each once); stored ones are touched as by storedSizes. */
    async missing(digests: string[]): Promise<string[]> {
      const have = await storedSizes(digests);
      return [...new Set(digests)].filter((d) => !have.has(d));
    },
    /** Streams body through the chunker; only bytes that hash to `sha256` (and have `size` bytes) become a blob. */
    async put(sha256: string, body: Readable, size: number | undefined, _signal?: AbortSignal) {
      assertSha256(sha256);
      const existing = await stat(sha256);
      if (existing) {
        body.resume();
        await db.updateTable('blobs').set({ touched_at: iso(now()) }).where('sha256', '=', sha256).execute();
        return { sha256, size: Number(existing.size), created: false };
      }
      const w = writer();
      const res = await ingest({ db, now }, body, w, { sha256, ...(size !== undefined ? { size } : {}) });
      await w.flush();
      const { created } = await commitRecipe(db, sha256, res.size, res.chunks, now());
      return { sha256, size: res.size, created };
    },
    /** PUT /blobs/{sha}/recipe: the blob from already-stored chunks, verified by hashing them in order. */
    async putRecipe(sha256: string, size: number, ids: string[]) {
      assertSha256(sha256);
      const existing = await stat(sha256);
      if (existing) return { sha256, size: Number(existing.size), created: false };
      const have = await touchAndFind(db, ids, iso(now()));
      const missing = [...new Set(ids.filter((id) => !have.has(id)))];
      if (missing.length) {
        throw new ConflictError(`${missing.length} chunk(s) are not stored: upload them with POST /api/v1/chunks first`, { missing }, 'chunk_missing');
      }
      const where = await locate(db, ids);
      const chunks: RecipeChunk[] = ids.map((id) => ({ id, size: where.get(id)!.raw_length }));
      const total = chunks.reduce((s, c) => s + c.size, 0);
      if (total !== size) throw new DigestMismatchError(`chunks add up to ${total} bytes, recipe says ${size}`, { expected: size, actual: total });
      const h = createHash('sha256');
      await hashChunks(db, objects, ids, where, h);
      const got = h.digest('hex');
      if (got !== sha256) throw new DigestMismatchError(`chunks hash to ${got}, expected ${sha256}`, { expected: sha256, actual: got });
      const { created } = await commitRecipe(db, sha256, size, chunks, now());
      return { sha256, size, created };
    },
    async recipe(sha256: string) {
      assertSha256(sha256);
      const s = await stat(sha256);
      if (!s) throw new NotFoundError(`blob ${sha256} is not stored`, { sha256 }, 'blob_not_found');
      const rows = await fullRecipe(db, sha256);
      if (rows.length === 0 && Number(s.size) > 0) throw new NotFoundError(`blob ${sha256} predates chunked storage and has no recipe; download it whole`, { sha256 }, 'recipe_not_found');
      return { sha256, size: Number(s.size), chunks: rows.map((r) => ({ id: r.id, size: r.size })) };
    },
    /** Bytes of a blob, whole or [start, end] inclusive, streamed from packs with batched ranged reads. */
    async open(sha256: string, range?: { start: number; end: number }) {
      assertSha256(sha256);
      const s = await stat(sha256);
      if (!s) throw new NotFoundError(`blob ${sha256} is not stored`, { sha256 }, 'blob_not_found');
      const total = Number(s.size);
      if (total > 0 && !(await hasRecipe(sha256))) {
        const stream = range ? await objects.getRange(blobKey(sha256), range.start, range.end) : await objects.get(blobKey(sha256));
        return { size: s.size, stream };
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? total - 1;
      const stream = Readable.from(streamRange(sha256, start, end));
      return { size: s.size, stream };
    },
  };

  async function* streamRange(sha256: string, start: number, end: number): AsyncGenerator<Buffer> {
    if (end < start) return;
    const rows = await recipeRange(db, sha256, start, end, MAX_CHUNK);
    let i = 0;
    for await (const { bytes } of readChunks(db, objects, rows.map((r) => r.id))) {
      const r = rows[i++]!;
      const from = Math.max(0, start - r.offset);
      const to = Math.min(r.size, end - r.offset + 1);
      yield from === 0 && to === r.size ? bytes : bytes.subarray(from, to);
    }
  }
}

export type BlobService = ReturnType<typeof createBlobService>;
