import { ConflictError } from '@steward/core';
import { iso } from '../../lib/context.ts';
import { batches } from '../storage/chunk-index.ts';
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
  const nowIso = iso(now);
  return db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('blobs').select('sha256').where('sha256', '=', sha256).executeTakeFirst();
    if (exists) {
      await trx.updateTable('blobs').set({ touched_at: nowIso }).where('sha256', '=', sha256).execute();
      return { created: false };
    }
    const unique = [...new Set(chunks.map((c) => c.id))];
    let touched = 0;
    for (const part of batches(unique)) {
      const r = await trx.updateTable('chunks').set({ touched_at: nowIso }).where('id', 'in', part).executeTakeFirst();
      touched += Number(r.numUpdatedRows);
    }
    if (touched !== unique.length) {
      const have = new Set<string>();
      for (const part of batches(unique)) for (const r of await trx.selectFrom('chunks').select('id').where('id', 'in', part).execute()) have.add(r.id);
      const missing = unique.filter((id) => !have.has(id));
      throw new ConflictError(`${missing.length} chunk(s) are not stored: upload them with POST /api/v1/chunks first`, { missing }, 'chunk_missing');
    }
    // A concurrent push of the same bytes may commit first (PostgreSQL): then ours is a no-op.
    const ins = await trx.insertInto('blobs').values({ sha256, size, created_at: nowIso, touched_at: nowIso }).onConflict((oc) => oc.column('sha256').doNothing()).executeTakeFirst();
    if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 0) return { created: false };
    let offset = 0;
    const rows = chunks.map((c, seq) => {
      const row = { blob_sha256: sha256, seq, chunk_id: c.id, blob_offset: offset, size: c.size };
      offset += c.size;
      return row;
    });
    for (const part of batches(rows, 200)) await trx.insertInto('blob_chunks').values(part).execute();
    return { created: true };
  });
}

/** Recipe rows overlapping bytes [start, end] (inclusive), in order. */
export async function recipeRange(db: StorageDb, sha256: string, start: number, end: number, maxChunk: number) {
  const rows = await db
    .selectFrom('blob_chunks')
    .select(['chunk_id', 'blob_offset', 'size'])
    .where('blob_sha256', '=', sha256)
    .where('blob_offset', '<=', end)
    .where('blob_offset', '>', start - maxChunk)
    .orderBy('blob_offset')
    .execute();
  return rows.map((r) => ({ id: r.chunk_id, offset: Number(r.blob_offset), size: Number(r.size) })).filter((r) => r.offset + r.size > start);
}

export async function fullRecipe(db: StorageDb, sha256: string) {
  const rows = await db.selectFrom('blob_chunks').select(['chunk_id', 'blob_offset', 'size']).where('blob_sha256', '=', sha256).orderBy('seq').execute();
  return rows.map((r) => ({ id: r.chunk_id, offset: Number(r.blob_offset), size: Number(r.size) }));
}
