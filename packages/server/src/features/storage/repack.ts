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
 * Copies the chunks still indexed in pack `id` (stored bytes as they are, same compression) into a
 * new pack, then moves their index rows in one transaction. Each row moves only if it still points
 * at the old pack, so a concurrent writer's row is never overwritten. Readers that looked a chunk
 * up in the old pack retry from the index (see chunk-reader.ts).
 */
export async function repackPack(deps: { db: StorageDb; objects: ObjectStore; now: () => Date }, id: string): Promise<string | null> {
  const { db, objects } = deps;
  const rows = await db.selectFrom('chunks').select(['id', 'pack_offset', 'stored_length']).where('pack_id', '=', id).orderBy('pack_offset').execute();
  if (rows.length === 0) return null;
  const old = await readAll(await objects.get(packKey(id)));
  const parts: Buffer[] = [];
  const moved: { id: string; offset: number }[] = [];
  let size = 0;
  for (const r of rows) {
    const at = Number(r.pack_offset);
    parts.push(old.subarray(at, at + r.stored_length));
    moved.push({ id: r.id, offset: size });
    size += r.stored_length;
  }
  const at = deps.now();
  const newId = newPackId(at);
  const body = Buffer.concat(parts, size);
  await objects.put(packKey(newId), body, { expectedSize: size });
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('packs').values({ id: newId, size, chunk_count: moved.length, created_at: iso(at) }).execute();
    for (const m of moved) await trx.updateTable('chunks').set({ pack_id: newId, pack_offset: m.offset }).where('id', '=', m.id).where('pack_id', '=', id).execute();
  });
  return newId;
}
