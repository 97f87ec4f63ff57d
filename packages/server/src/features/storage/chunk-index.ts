import { PostgresAdapter, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StorageDb, StorageTables } from './storage.tables.ts';

export const BATCH = 500;

export function* batches<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Which of `ids` are stored, refreshing `touched_at` on those that are first. Touch before
 * looking: a chunk GC deletes before our touch is simply reported missing (and stored again);
 * one it would delete after is now too young to be swept. All touches are one transaction: on
 * SQLite (synchronous=FULL) every statement outside one is its own commit and fsync, on the event
 * loop, and a push asks about thousands of ids in rounds of 500. Its commit is relaxed: a touch
 * only matters to a sweep running now, and the recipe commit touches every chunk again durably.
 */
export async function touchAndFind(db: StorageDb, ids: readonly string[], nowIso: string): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  await touch(db, unique, nowIso);
  return storedIds(db, unique);
}

const touch = (db: StorageDb, unique: string[], nowIso: string) =>
  relaxedTransaction(db, async (trx) => {
    for (const part of batches(unique)) await trx.updateTable('chunks').set({ touched_at: nowIso }).where('id', 'in', part).execute();
  });

/** Which of `ids` are stored: only the primary key is read (an index-only scan), for callers that need no location. */
export async function storedIds(db: StorageDb, ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of batches([...new Set(ids)])) for (const r of await db.selectFrom('chunks').select('id').where('id', 'in', part).execute()) out.add(r.id);
  return out;
}

export interface ChunkLocation {
  id: string;
  pack_id: string;
  pack_offset: number;
  stored_length: number;
  raw_length: number;
  compression: string;
}

export async function locate(db: StorageDb, ids: readonly string[]): Promise<Map<string, ChunkLocation>> {
  const out = new Map<string, ChunkLocation>();
  for (const part of batches([...new Set(ids)])) {
    const rows = await db.selectFrom('chunks').select(['id', 'pack_id', 'pack_offset', 'stored_length', 'raw_length', 'compression']).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, { ...r, pack_offset: Number(r.pack_offset) });
  }
  return out;
}

/**
 * A transaction whose commit need not reach the disk by itself, only before any later durable
 * commit: on SQLite it commits with synchronous=NORMAL (no fsync; the WAL is append-only, so the
 * next synchronous=FULL commit, such as a recipe's, makes it durable too), holding the connection
 * throughout so no other transaction runs relaxed. For writes whose loss on power failure leaves
 * only what a crash may leave anyway: touches, and the index rows of a pack whose object is
 * already durable (lost rows make it an orphan pack, and the client's recipe a 409 chunk_missing
 * that it answers by uploading again). A push commits one per uploaded batch, and on SQLite each
 * fsync blocked the event loop (~3-5 ms, ~120 per 1.4 GiB series). PostgreSQL: a plain transaction.
 */
export async function relaxedTransaction<T>(db: StorageDb, fn: (trx: Transaction<Database & StorageTables>) => Promise<T>): Promise<T> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return db.transaction().execute(fn);
  return db.connection().execute(async (conn) => {
    await sql`pragma synchronous = NORMAL`.execute(conn);
    try {
      return await conn.transaction().execute(fn);
    } finally {
      await sql`pragma synchronous = FULL`.execute(conn);
    }
  });
}
