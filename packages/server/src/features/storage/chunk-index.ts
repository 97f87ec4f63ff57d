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
  const have = new Set<string>();
  const unique = [...new Set(ids)];
  for (const part of batches(unique)) {
    await db.updateTable('chunks').set({ touched_at: nowIso }).where('id', 'in', part).execute();
    const rows = await db.selectFrom('chunks').select('id').where('id', 'in', part).execute();
    for (const r of rows) have.add(r.id);
  }
  return have;
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
