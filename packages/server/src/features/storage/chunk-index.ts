import type { StorageDb } from './storage.tables.ts';

export const BATCH = 500;

export function* batches<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Which of `ids` are stored, refreshing `touched_at` on those that are first. Touch before
 * looking: a chunk GC deletes before our touch is simply reported missing (and stored again);
 * one it would delete after is now too young to be swept.
 */
export async function touchAndFind(db: StorageDb, ids: readonly string[], nowIso: string): Promise<Set<string>> {
  return new Set((await touchAndLocate(db, ids, nowIso)).keys());
}

/**
 * touchAndFind that also returns where each stored chunk is. All touches are one transaction: on
 * SQLite (synchronous=FULL) every statement outside one is its own commit and fsync, on the event
 * loop, and a push asks about thousands of ids in rounds of 500.
 */
export async function touchAndLocate(db: StorageDb, ids: readonly string[], nowIso: string): Promise<Map<string, ChunkLocation>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  await db.transaction().execute(async (trx) => {
    for (const part of batches(unique)) await trx.updateTable('chunks').set({ touched_at: nowIso }).where('id', 'in', part).execute();
  });
  return locate(db, unique);
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
