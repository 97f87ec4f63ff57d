import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { assertSha256, ConflictError, DigestMismatchError, InvalidInputError, MAX_RECIPE_QUERY_BYTES, NotFoundError, StewardError } from '@steward/core';
import type { BlobRecipe, PutRecipeResult } from '@steward/core/api';
import type { Database } from '../../db/schema.ts';
import { iso } from '../../lib/context.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { batches, locate, relaxedTransaction } from '../storage/chunk-index.ts';
import { hashChunks, recipeDigests } from '../storage/chunk-reader.ts';
import { RunBuffers } from '../storage/run-buffers.ts';
import type { BodyPiece } from '../../http/send-pieces.ts';
import { createPackWriter, DEFAULT_PACK_SIZE } from '../storage/pack-writer.ts';
import { storageDb } from '../storage/storage.tables.ts';
import { ingest } from './blob-ingest.ts';
import { blobPieces, recipeJson } from './blob-read.ts';
import { commitRecipe, commitRecipes, type RecipeChunk } from './blob-recipe.ts';
import { MAX_WAITING_CHECKS, type RecipeCheck, RecipeChecks, type RecipeTarget, within } from './recipe-check.ts';
import { ChunkArrivals } from '../storage/chunk-arrivals.ts';

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
  /** A recipe check waiting for chunks gives up after this long without one arriving (ms; default 30 s). */
  recipeIdleMs?: number;
  /** Shared with the chunk upload service of the same app, so checks wake when its packs are indexed. */
  arrivals?: ChunkArrivals;
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
  const arrivals = deps.arrivals ?? new ChunkArrivals();
  const checks = new RecipeChecks({ db, objects, now, idleMs: deps.recipeIdleMs ?? 30_000, arrivals });
  /** A check's answer within `waitMs`, or pending with how far it got. */
  const waitFor = async (check: RecipeCheck, waitMs: number): Promise<PutRecipeResult> => {
    const r = await within(check.done, waitMs);
    return r ? { sha256: check.sha256, size: check.size, created: r.created } : { sha256: check.sha256, size: check.size, created: false, pending: true, hashedBytes: check.hashedBytes };
  };
  const stat = (sha256: string) => db.selectFrom('blobs').select(['sha256', 'size']).where('sha256', '=', sha256).executeTakeFirst();
  const writer = () => createPackWriter({ db, objects, now, packSize, arrivals });
  const buffers = new RunBuffers();
  /** The answer for a blob stored already (a recipe declared for it commits nothing), or null. */
  const alreadyStored = async (sha256: string): Promise<PutRecipeResult | null> => {
    const existing = await stat(sha256);
    return existing ? { sha256, size: Number(existing.size), created: false } : null;
  };
  const openCheck = (id: string): RecipeCheck => {
    const check = checks.byId(id);
    if (!check) throw new NotFoundError(`no recipe check ${id} on this server (it expired, failed, or the server restarted): declare the whole recipe with PUT /api/v1/blobs/{sha256}/recipe`, { id }, 'recipe_check_not_found');
    return check;
  };
  /** Sizes of the stored blobs among `digests` (a look: no touch). */
  const sizesOf = async (digests: readonly string[]): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const part of batches([...new Set(digests)])) for (const r of await db.selectFrom('blobs').select(['sha256', 'size']).where('sha256', 'in', part).execute()) out.set(r.sha256, Number(r.size));
    return out;
  };
  const hasRecipe = async (sha256: string) => !!(await db.selectFrom('blob_chunks').select('seq').where('blob_sha256', '=', sha256).limit(1).executeTakeFirst());

  /**
   * Sizes of the stored blobs among `digests`. Stored ones are touched, so a GC grace period covers
   * the draft that lists them; in one relaxed transaction (a touch only matters to a sweep running
   * now), not one fsync per statement.
   */
  async function storedSizes(digests: string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    if (digests.length === 0) return sizes;
    const nowIso = iso(now());
    await relaxedTransaction(db, async (trx) => {
      for (const part of batches([...new Set(digests)])) {
        await trx.updateTable('blobs').set({ touched_at: nowIso }).where('sha256', 'in', part).execute();
        for (const r of await trx.selectFrom('blobs').select(['sha256', 'size']).where('sha256', 'in', part).execute()) sizes.set(r.sha256, Number(r.size));
      }
    });
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
    /**
     * PUT /blobs/{sha}/recipe: the blob from stored chunks, verified by hashing them in order. With
     * `waitMs`, chunks not stored yet are waited for (a push declares its recipe while its upload
     * goes on; RecipeCheck): the answer comes once the blob is committed, or as `pending` after
     * `waitMs`, and asking again joins the same check.
     */
    async putRecipe(sha256: string, size: number, ids: string[], opts: { waitMs?: number } = {}): Promise<PutRecipeResult> {
      assertSha256(sha256);
      const existing = await alreadyStored(sha256);
      if (existing) return existing;
      const check = opts.waitMs ? checks.get(sha256, size, ids) : null;
      if (check) return waitFor(check, opts.waitMs!);
      // Only a look, no touch: the client's `missing` question touched these chunks (or stored them)
      // moments ago, and commitRecipe touches them again in the transaction that makes the blob
      // visible, which is what GC's sweep cannot slip past. A chunk swept while we hash (unreferenced
      // and untouched for the grace period: a client that skipped `missing`) makes hashChunks or the
      // commit answer 409 chunk_missing, and the client sends it again. Touching here too rewrote
      // every chunk row of the file twice per push.
      const where = await locate(db, ids);
      const missing = [...new Set(ids.filter((id) => !where.has(id)))];
      if (missing.length) {
        throw new ConflictError(`${missing.length} chunk(s) are not stored: upload them with POST /api/v1/chunks first`, { missing }, 'chunk_missing');
      }
      const chunks: RecipeChunk[] = ids.map((id) => ({ id, size: where.get(id)!.raw_length }));
      const total = chunks.reduce((s, c) => s + c.size, 0);
      if (total !== size) throw new DigestMismatchError(`chunks add up to ${total} bytes, recipe says ${size}`, { expected: size, actual: total });
      const got = await hashChunks(db, objects, ids, where);
      if (got !== sha256) throw new DigestMismatchError(`chunks hash to ${got}, expected ${sha256}`, { expected: sha256, actual: got });
      const { created } = await commitRecipe(db, sha256, size, chunks, now());
      return { sha256, size, created };
    },
    /**
     * POST /blobs/recipes: several blobs by their recipes at once, every chunk stored already (a
     * push's small files, declared together once their upload ended). Each is checked as
     * PUT /blobs/{sha}/recipe checks one, then all are committed in one transaction: all or none.
     * 409 chunk_missing names every missing chunk of every recipe; 422 digest_mismatch names the
     * first recipe that does not hash to its digest. One request and one commit for a thousand
     * small files, where one each cost a round trip and an fsync per file.
     */
    async putRecipes(recipes: readonly { sha256: string; size: number; chunks: string[] }[]): Promise<{ sha256: string; size: number; created: boolean }[]> {
      const stored = await sizesOf(recipes.map((r) => r.sha256));
      // One check per digest: the first recipe given for it (any other must hash to it too, so it is the same file).
      const todo = new Map<string, { sha256: string; size: number; chunks: string[] }>();
      for (const r of recipes) if (!stored.has(r.sha256) && !todo.has(r.sha256)) todo.set(r.sha256, r);
      const where = await locate(db, [...todo.values()].flatMap((r) => r.chunks));
      const missing = [...new Set([...todo.values()].flatMap((r) => r.chunks.filter((id) => !where.has(id))))];
      if (missing.length) throw new ConflictError(`${missing.length} chunk(s) are not stored: upload them with POST /api/v1/chunks first`, { missing }, 'chunk_missing');
      const checked: { sha256: string; size: number; chunks: RecipeChunk[] }[] = [];
      for (const r of todo.values()) {
        const chunks = r.chunks.map((id) => ({ id, size: where.get(id)!.raw_length }));
        const total = chunks.reduce((s, c) => s + c.size, 0);
        if (total !== r.size) throw new DigestMismatchError(`recipe of blob ${r.sha256}: chunks add up to ${total} bytes, recipe says ${r.size}`, { sha256: r.sha256, expected: r.size, actual: total });
        checked.push({ sha256: r.sha256, size: r.size, chunks });
      }
      const got = await recipeDigests(db, objects, [...todo.values()].map((r) => r.chunks), where);
      checked.forEach((r, i) => {
        if (got[i] !== r.sha256) throw new DigestMismatchError(`recipe of blob ${r.sha256}: chunks hash to ${got[i]}`, { sha256: r.sha256, expected: r.sha256, actual: got[i] });
      });
      const created = await commitRecipes(db, checked, now());
      // Created once per digest: a second entry for it in this request found it stored.
      const answered = new Set<string>();
      return recipes.map((r) => {
        const first = !answered.has(r.sha256);
        answered.add(r.sha256);
        return { sha256: r.sha256, size: stored.get(r.sha256) ?? r.size, created: first && created.has(r.sha256) };
      });
    },
    /**
     * PUT /blobs/{sha}/recipe?wait with only `{size}`: joins the check already running for this
     * blob (a re-ask after 202 need not send a recipe of up to ~80 MiB again); 404
     * recipe_check_not_found when none runs here (another replica, a restart, or it failed).
     */
    async joinRecipe(sha256: string, size: number, waitMs: number): Promise<PutRecipeResult> {
      assertSha256(sha256);
      const existing = await alreadyStored(sha256);
      if (existing) return existing;
      const check = checks.find(sha256, size);
      if (!check) throw new NotFoundError(`no check of a recipe for blob ${sha256} (${size} bytes) is running on this server: send the whole recipe`, { sha256, size }, 'recipe_check_not_found');
      return waitFor(check, waitMs);
    },
    /**
     * POST /recipe-checks: an open check of a file whose digest its push does not know yet (it is
     * still being chunked): the server hashes the chunks in order as their ids come (appendRecipeCheck)
     * and their bytes are stored, then matches the digest declared at the end (declareRecipeCheck).
     * 503 recipe_checks_busy when MAX_WAITING_CHECKS already run.
     */
    openRecipeCheck(ids: string[]): { id: string; chunks: number } {
      const o = checks.open(ids);
      if (!o) throw new StewardError('recipe_checks_busy', `this server already runs ${MAX_WAITING_CHECKS} recipe checks: declare the recipe once the file is chunked (PUT /api/v1/blobs/{sha256}/recipe)`, 503, { max: MAX_WAITING_CHECKS });
      return { id: o.id, chunks: o.check.idCount };
    },
    /** POST /recipe-checks/{id}/ids: more ids of an open check, in file order; a check that failed already answers why. */
    async appendRecipeCheck(id: string, ids: string[]): Promise<{ chunks: number; hashedBytes: number }> {
      const check = openCheck(id);
      if (check.settled) await check.done; // rejects with its failure (an undeclared check cannot have succeeded)
      check.append(ids);
      return { chunks: check.idCount, hashedBytes: check.hashedBytes };
    },
    /**
     * PUT /recipe-checks/{id}: no more ids; the chunks must hash to `sha256` and add up to `size`.
     * Answers like PUT /blobs/{sha}/recipe?wait (asking again waits on); a blob stored already
     * ends the check at once with `created: false`.
     */
    async declareRecipeCheck(id: string, target: RecipeTarget, waitMs: number): Promise<PutRecipeResult> {
      assertSha256(target.sha256);
      const check = openCheck(id);
      check.declare(target);
      if (!check.settled) {
        const existing = await alreadyStored(target.sha256);
        if (existing) {
          check.cancel();
          return existing;
        }
      }
      try {
        return await waitFor(check, waitMs);
      } catch (err) {
        // Cancelled for a blob stored meanwhile (or by another push): asking again still says so.
        const existing = await alreadyStored(target.sha256);
        if (existing) return existing;
        throw err;
      }
    },
    /** DELETE /recipe-checks/{id}: the push gave up; the check stops (nothing was written). */
    cancelRecipeCheck(id: string): void {
      openCheck(id).cancel();
    },
    /** Recipe checks running now (tests: a request is known to wait once it is counted here). */
    recipeChecksRunning: (): number => checks.running,
    /** Server shutdown: recipe checks waiting for chunks stop (503) instead of waiting out their idle time. */
    close(): void {
      checks.close();
    },
    /**
     * POST /blobs/recipes/query: the recipes of several blobs, in request order, null for one not
     * stored or stored whole (before chunked storage). At most MAX_RECIPE_QUERY_BYTES of files in
     * all (a recipe row per ≥ 16 KiB of file), so the answer stays a few MB of JSON.
     */
    async recipes(digests: string[]): Promise<(BlobRecipe | null)[]> {
      const sizes = await sizesOf(digests);
      const bytes = [...sizes.values()].reduce((n, s) => n + s, 0);
      if (bytes > MAX_RECIPE_QUERY_BYTES) {
        throw new InvalidInputError(`these blobs hold ${bytes} bytes; ask for the recipes of at most ${MAX_RECIPE_QUERY_BYTES} bytes of files per request, and for large files one at a time with GET /api/v1/blobs/{sha256}/recipe`, { bytes, max: MAX_RECIPE_QUERY_BYTES }, 'too_large');
      }
      const chunks = new Map<string, { id: string; size: number }[]>();
      for (const part of batches([...sizes.keys()].filter((d) => sizes.get(d)! > 0))) {
        const rows = await db.selectFrom('blob_chunks').select(['blob_sha256', 'chunk_id', 'size']).where('blob_sha256', 'in', part).orderBy('blob_sha256').orderBy('seq').execute();
        for (const r of rows) {
          let list = chunks.get(r.blob_sha256);
          if (!list) chunks.set(r.blob_sha256, (list = []));
          list.push({ id: r.chunk_id, size: Number(r.size) });
        }
      }
      return digests.map((sha256) => {
        const size = sizes.get(sha256);
        if (size === undefined) return null;
        const list = chunks.get(sha256) ?? [];
        return size > 0 && list.length === 0 ? null : { sha256, size, chunks: list };
      });
    },
    /** GET /blobs/{sha}/recipe: the JSON, streamed one window of recipe rows at a time. */
    async recipe(sha256: string): Promise<AsyncGenerator<BodyPiece>> {
      assertSha256(sha256);
      const s = await stat(sha256);
      if (!s) throw new NotFoundError(`blob ${sha256} is not stored`, { sha256 }, 'blob_not_found');
      if (Number(s.size) > 0 && !(await hasRecipe(sha256))) throw new NotFoundError(`blob ${sha256} predates chunked storage and has no recipe; download it whole`, { sha256 }, 'recipe_not_found');
      return recipeJson(db, sha256, Number(s.size));
    },
    /** Bytes of a blob, whole or [start, end] inclusive, streamed from packs with batched ranged reads. */
    async open(sha256: string, range?: { start: number; end: number }) {
      const src = await source(sha256, range);
      return { size: src.size, stream: 'stream' in src ? src.stream : Readable.from(bytesOf(src.pieces)) };
    },
    /** `open` for an HTTP answer (sendPieces): runs are read into lent buffers, each piece given back once written. */
    async openPieces(sha256: string, range?: { start: number; end: number }): Promise<AsyncIterable<BodyPiece>> {
      const src = await source(sha256, range, buffers);
      return 'stream' in src ? piecesOf(src.stream) : src.pieces;
    },
  };

  /** A blob stored whole before chunked storage comes from its object; any other from its recipe. */
  async function source(sha256: string, range: { start: number; end: number } | undefined, lend?: RunBuffers): Promise<{ size: number; stream: Readable } | { size: number; pieces: AsyncGenerator<BodyPiece> }> {
    assertSha256(sha256);
    const s = await stat(sha256);
    if (!s) throw new NotFoundError(`blob ${sha256} is not stored`, { sha256 }, 'blob_not_found');
    const total = Number(s.size);
    if (total > 0 && !(await hasRecipe(sha256))) {
      const stream = range ? await objects.getRange(blobKey(sha256), range.start, range.end) : await objects.get(blobKey(sha256));
      return { size: s.size, stream };
    }
    return { size: s.size, pieces: blobPieces(db, objects, sha256, range?.start ?? 0, range?.end ?? total - 1, lend) };
  }
}

async function* bytesOf(pieces: AsyncIterable<BodyPiece>): AsyncGenerator<Uint8Array> {
  for await (const p of pieces) yield p.bytes;
}

async function* piecesOf(stream: AsyncIterable<Uint8Array>): AsyncGenerator<BodyPiece> {
  for await (const bytes of stream) yield { bytes };
}

export type BlobService = ReturnType<typeof createBlobService>;
