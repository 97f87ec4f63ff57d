import type { ObjectStore } from '../../storage/object-store.ts';
import { iso } from '../../lib/context.ts';
import { newPackId, packKey } from './pack-key.ts';
import type { StorageDb } from './storage.tables.ts';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/**
 * Copies the chunks still indexed in packs `ids` (stored bytes as they are, same compression) into
 * one new pack, then moves their index rows in one transaction. Each row moves only if it still
 * points at the pack it was read from, so a concurrent writer's row is never overwritten. Readers
 * that looked a chunk up in an old pack retry from the index (see chunk-reader.ts). Used both to
 * rewrite a mostly-dead pack and to merge small packs into one.
 */
export async function repackPacks(deps: { db: StorageDb; objects: ObjectStore; now: () => Date }, ids: readonly string[]): Promise<string | null> {
  const { db, objects } = deps;
  const parts: Buffer[] = [];
  const moved: { id: string; from: string; offset: number }[] = [];
  let size = 0;
  for (const id of ids) {
    const rows = await db.selectFrom('chunks').select(['id', 'pack_offset', 'stored_length']).where('pack_id', '=', id).orderBy('pack_offset').execute();
    if (rows.length === 0) continue;
    const old = await readAll(await objects.get(packKey(id)));
    for (const r of rows) {
      const at = Number(r.pack_offset);
      parts.push(old.subarray(at, at + r.stored_length));
      moved.push({ id: r.id, from: id, offset: size });
      size += r.stored_length;
    }
  }
  if (moved.length === 0) return null;
  const at = deps.now();
  const newId = newPackId(at);
  const body = Buffer.concat(parts, size);
  await objects.put(packKey(newId), body, { expectedSize: size, hash: false });
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('packs').values({ id: newId, size, chunk_count: moved.length, created_at: iso(at) }).execute();
    for (const m of moved) await trx.updateTable('chunks').set({ pack_id: newId, pack_offset: m.offset }).where('id', '=', m.id).where('pack_id', '=', m.from).execute();
  });
  return newId;
}

/**
 * Small packs to merge: packs under a quarter of the target size, grouped in creation order so
 * each group's live bytes fit one target-size pack. Groups of one are left alone (nothing to gain).
 */
export function smallPackGroups(packs: ReadonlyArray<{ id: string; size: number; live: number; createdAt: string }>, packSize: number): string[][] {
  const small = packs.filter((p) => p.live > 0 && p.size < packSize / 4).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  const groups: string[][] = [];
  let group: string[] = [];
  let bytes = 0;
  for (const p of small) {
    if (group.length && bytes + p.live > packSize) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(p.id);
    bytes += p.live;
  }
  groups.push(group);
  return groups.filter((g) => g.length >= 2);
}
