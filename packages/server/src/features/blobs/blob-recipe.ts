import { ConflictError } from '@steward/core';
import { iso } from '../../lib/context.ts';
import { batches, storedIds } from '../storage/chunk-index.ts';
import { MAX_CHUNK } from '../storage/chunker.ts';
import type { StorageDb } from '../storage/storage.tables.ts';

export interface RecipeChunk {
  id: string;
  size: number;
}

/**
 * Make a blob visible: its row and its ordered recipe in one transaction. The same transaction
 * touches every chunk it references (a row lock on PostgreSQL, and a fresh `touched_at`), so a GC
 * sweep running now either deleted a chunk before us (we see it missing and roll back) or cannot
 * delete it any more (too young, and referenced once we commit).
 */
export async function commitRecipe(db: StorageDb, sha256: string, size: number, chunks: readonly RecipeChunk[], now: Date): Promise<{ created: boolean }> {
  return { created: (await commitRecipes(db, [{ sha256, size, chunks }], now)).has(sha256) };
}

/**
 * Several blobs made visible in one transaction (`POST /blobs/recipes`), all or none, with the
 * same guarantees as commitRecipe: every chunk they reference is touched in it, and a chunk
 * missing from any of them (GC swept it meanwhile) rolls every one back with 409 chunk_missing.
 * Statements go in batches over all the recipes (a push of a thousand small files made four per
 * file). Returns the digests this call created; the others were stored already (touched).
 */
export async function commitRecipes(db: StorageDb, recipes: readonly { sha256: string; size: number; chunks: readonly RecipeChunk[] }[], now: Date): Promise<Set<string>> {
  const nowIso = iso(now);
  return db.transaction().execute(async (trx) => {
    const stored = new Set<string>();
    for (const part of batches([...new Set(recipes.map((r) => r.sha256))])) {
      for (const r of await trx.selectFrom('blobs').select('sha256').where('sha256', 'in', part).execute()) stored.add(r.sha256);
    }
    for (const part of batches([...stored])) await trx.updateTable('blobs').set({ touched_at: nowIso }).where('sha256', 'in', part).execute();
    const fresh = new Map<string, (typeof recipes)[number]>();
    for (const r of recipes) if (!stored.has(r.sha256) && !fresh.has(r.sha256)) fresh.set(r.sha256, r);
    const unique = [...new Set([...fresh.values()].flatMap((r) => r.chunks.map((c) => c.id)))];
    let touched = 0;
    for (const part of batches(unique)) touched += Number((await trx.updateTable('chunks').set({ touched_at: nowIso }).where('id', 'in', part).executeTakeFirst()).numUpdatedRows);
    if (touched !== unique.length) {
      const have = await storedIds(trx, unique);
      const missing = unique.filter((id) => !have.has(id));
      throw new ConflictError(`${missing.length} chunk(s) are not stored: upload them with POST /api/v1/chunks first`, { missing }, 'chunk_missing');
    }
    // A concurrent push of the same bytes may commit one first (PostgreSQL): that one is not ours to describe.
    const created = new Set<string>();
    for (const part of batches([...fresh.values()], 200)) {
      const rows = part.map((r) => ({ sha256: r.sha256, size: r.size, created_at: nowIso, touched_at: nowIso }));
      for (const r of await trx.insertInto('blobs').values(rows).onConflict((oc) => oc.column('sha256').doNothing()).returning('sha256').execute()) created.add(r.sha256);
    }
    const rows = [...fresh.values()].filter((r) => created.has(r.sha256)).flatMap((r) => {
      let offset = 0;
      return r.chunks.map((c, seq) => {
        const row = { blob_sha256: r.sha256, seq, chunk_id: c.id, blob_offset: offset, size: c.size };
        offset += c.size;
        return row;
      });
    });
    for (const part of batches(rows, 200)) await trx.insertInto('blob_chunks').values(part).execute();
    return created;
  });
}

export interface RecipeRow {
  id: string;
  offset: number;
  size: number;
}

/** Rows per query when a recipe is read in order (a 4 GiB file has ~65,536): memory holds one window. */
export const RECIPE_WINDOW = 4096;

/**
 * The recipe rows of a blob in order (all of them, or those overlapping bytes [start, end]
 * inclusive), at most `window` at a time: each window is one range scan of the primary key (blob,
 * seq), never the whole recipe at once. Seqs run 0..n-1 and offsets grow with them
 * (commitRecipe), so the first row of a range is found by offset.
 */
export async function* recipeWindows(db: StorageDb, sha256: string, range?: { start: number; end: number }, window = RECIPE_WINDOW): AsyncGenerator<RecipeRow[]> {
  const { start, end } = range ?? { start: -1, end: Infinity };
  if (end < start) return;
  const first = range
    ? await db
        .selectFrom('blob_chunks')
        .select('seq')
        .where('blob_sha256', '=', sha256)
        .where('blob_offset', '>', start - MAX_CHUNK)
        .orderBy('blob_offset')
        .orderBy('seq')
        .limit(1)
        .executeTakeFirst()
    : { seq: 0 };
  if (!first) return;
  for (let seq = Number(first.seq); ; seq += window) {
    const rows = await db
      .selectFrom('blob_chunks')
      .select(['chunk_id', 'blob_offset', 'size'])
      .where('blob_sha256', '=', sha256)
      .where('seq', '>=', seq)
      .where('seq', '<', seq + window)
      .orderBy('seq')
      .execute();
    const out: RecipeRow[] = [];
    let past = false;
    for (const r of rows) {
      const row = { id: r.chunk_id, offset: Number(r.blob_offset), size: Number(r.size) };
      if (row.offset > end) {
        past = true;
        break;
      }
      if (row.offset + row.size > start) out.push(row);
    }
    if (out.length) yield out;
    if (past || rows.length < window) return;
  }
}
