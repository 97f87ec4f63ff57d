import type { StorageStats } from '@steward/core/api';
import { NotFoundError } from '@steward/core';
import { sql } from 'kysely';
import type { StorageDb } from './storage.tables.ts';

export type { StorageStats };

const n = (v: unknown) => Number(v ?? 0);
const ratio = (logical: number, stored: number) => (stored > 0 ? logical / stored : 1);

export async function storageStats(db: StorageDb, model?: string): Promise<StorageStats> {
  if (model === undefined) {
    const b = await db.selectFrom('blobs').select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(size), 0)`.as('bytes')]).executeTakeFirstOrThrow();
    const p = await db.selectFrom('packs').select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(size), 0)`.as('bytes')]).executeTakeFirstOrThrow();
    const c = await db.selectFrom('chunks').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
    return { logicalBytes: n(b.bytes), storedBytes: n(p.bytes), dedupRatio: ratio(n(b.bytes), n(p.bytes)), chunks: n(c.n), packs: n(p.n), blobs: n(b.n) };
  }
  const m = await db.selectFrom('models').select('id').where('name', '=', model).executeTakeFirst();
  if (!m) throw new NotFoundError(`model "${model}" does not exist`, { model }, 'model_not_found');
  const files = db
    .selectFrom('version_files')
    .innerJoin('versions', 'versions.id', 'version_files.version_id')
    .where('versions.model_id', '=', m.id)
    .where('versions.state', '=', 'committed');
  const logical = await files.select(sql<number>`coalesce(sum(version_files.size), 0)`.as('bytes')).executeTakeFirstOrThrow();
  const blobs = await files.select(sql<number>`count(distinct version_files.sha256)`.as('n')).executeTakeFirstOrThrow();
  // Distinct chunks reachable from the model's blobs, each counted once with its stored size.
  const used = db
    .selectFrom('chunks')
    .where('chunks.id', 'in', files.innerJoin('blob_chunks', 'blob_chunks.blob_sha256', 'version_files.sha256').select('blob_chunks.chunk_id'));
  const c = await used.select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(stored_length), 0)`.as('bytes'), sql<number>`count(distinct pack_id)`.as('packs')]).executeTakeFirstOrThrow();
  return { logicalBytes: n(logical.bytes), storedBytes: n(c.bytes), dedupRatio: ratio(n(logical.bytes), n(c.bytes)), chunks: n(c.n), packs: n(c.packs), blobs: n(blobs.n) };
}
