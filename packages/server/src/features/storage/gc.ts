import { sql } from 'kysely';
import type { GcOptions, GcReport } from '@steward/core/api';
import type { ObjectStore } from '../../storage/object-store.ts';
import { iso } from '../../lib/context.ts';
import { blobKey } from '../blobs/blobs.service.ts';
import { batches } from './chunk-index.ts';
import { markBlobs } from './gc-mark.ts';
import { packIdOfKey, packKey, packTime } from './pack-key.ts';
import { repackPacks, smallPackGroups } from './repack.ts';
import type { StorageDb } from './storage.tables.ts';

/**
 * A pack object is written before its rows commit, so an object without a row may be a write in
 * flight. Whatever the grace period, such objects are only deleted once this old.
 */
export const ORPHAN_MIN_AGE_MS = 15 * 60 * 1000;

export type { GcOptions, GcReport };

/**
 * Mark and sweep. Every delete re-states its conditions in the same statement (untouched since
 * the cutoff, unreferenced), so a push that touched or referenced a row after we listed it wins:
 * the row stays. Sweep order is blobs, then chunks, then packs, so each step only removes what
 * the previous one made unreachable.
 */
export async function collectGarbage(deps: { db: StorageDb; objects: ObjectStore; now: () => Date; packSize: number }, opts: GcOptions = {}): Promise<GcReport> {
  const { db, objects } = deps;
  const start = deps.now();
  const cutoff = new Date(start.getTime() - (opts.graceSeconds ?? 3600) * 1000);
  const cutoffIso = iso(cutoff);
  const dry = opts.dryRun ?? false;
  const report: GcReport = { deletedChunks: 0, deletedBlobs: 0, repackedPacks: 0, mergedPacks: 0, deletedPacks: 0, freedBytes: 0 };

  // 1. Blobs nobody needs, untouched for the grace period.
  const live = await markBlobs(db, start, cutoffIso);
  const untouched = sql<boolean>`coalesce(blobs.touched_at, blobs.created_at) < ${cutoffIso}`;
  const candidates = (await db.selectFrom('blobs').select('sha256').where(untouched).execute()).map((r) => r.sha256).filter((s) => !live.has(s));
  for (const sha of candidates) {
    if (dry) {
      report.deletedBlobs++;
      continue;
    }
    const legacy = await db.transaction().execute(async (trx) => {
      const del = await trx
        .deleteFrom('blobs')
        .where('sha256', '=', sha)
        .where(untouched)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('version_files').innerJoin('versions', 'versions.id', 'version_files.version_id').select('version_files.sha256').where('version_files.sha256', '=', sha).where('versions.state', '=', 'committed'))),
        )
        .executeTakeFirst();
      if (Number(del.numDeletedRows) === 0) return null;
      const r = await trx.deleteFrom('blob_chunks').where('blob_sha256', '=', sha).executeTakeFirst();
      return Number(r.numDeletedRows) === 0;
    });
    if (legacy === null) continue;
    report.deletedBlobs++;
    if (legacy) await objects.delete(blobKey(sha)); // a pre-chunking whole object
  }

  // 2. Chunks no recipe references, untouched for the grace period. A dry run also counts the
  // chunks that only the blobs it would have deleted reference.
  const unreferenced = (eb: any) => eb.not(eb.exists(eb.selectFrom('blob_chunks').select('blob_chunks.seq').whereRef('blob_chunks.chunk_id', '=', 'chunks.id')));
  const dead = dry ? await deadChunksDry(db, cutoffIso, new Set(candidates)) : await db.selectFrom('chunks').select(['id', 'stored_length', 'pack_id']).where('touched_at', '<', cutoffIso).where(unreferenced).execute();
  const deadByPack = new Map<string, number>();
  for (const part of batches(dead)) {
    if (dry) {
      report.deletedChunks += part.length;
      for (const c of part) deadByPack.set(c.pack_id, (deadByPack.get(c.pack_id) ?? 0) + Number(c.stored_length));
      continue;
    }
    const del = await db.deleteFrom('chunks').where('id', 'in', part.map((c) => c.id)).where('touched_at', '<', cutoffIso).where(unreferenced).executeTakeFirst();
    report.deletedChunks += Number(del.numDeletedRows);
  }

  // 3. Packs: drop empty ones, rewrite mostly-dead ones, merge small ones, remove orphan objects of
  // crashed writes.
  const packs = await db
    .selectFrom('packs')
    .leftJoin('chunks', 'chunks.pack_id', 'packs.id')
    .select(['packs.id', 'packs.size', 'packs.created_at', sql<number>`coalesce(sum(chunks.stored_length), 0)`.as('live')])
    .groupBy(['packs.id', 'packs.size', 'packs.created_at'])
    .execute();
  const known = new Set(packs.map((p) => p.id));
  const settled: Array<{ id: string; size: number; live: number; createdAt: string }> = [];
  for (const p of packs) {
    const size = Number(p.size);
    const liveBytes = Number(p.live) - (deadByPack.get(p.id) ?? 0);
    if (p.created_at >= cutoffIso) continue; // a pack this young may still gain its first references
    if (liveBytes === 0) {
      if (!dry && !(await dropPack(db, objects, p.id))) continue;
      report.deletedPacks++;
      report.freedBytes += size;
    } else if (liveBytes / size < (opts.repackBelow ?? 0.5)) {
      if (dry) {
        report.repackedPacks++;
        report.deletedPacks++;
        report.freedBytes += size - liveBytes;
        continue;
      }
      await repackPacks(deps, [p.id]);
      report.repackedPacks++;
      if (await dropPack(db, objects, p.id)) {
        report.deletedPacks++;
        report.freedBytes += size - liveBytes;
      }
    } else {
      settled.push({ id: p.id, size, live: liveBytes, createdAt: p.created_at });
    }
  }
  // Many small pushes leave many small packs: more objects to list and more ranged reads per pull.
  const settledById = new Map(settled.map((p) => [p.id, p]));
  for (const group of smallPackGroups(settled, deps.packSize)) {
    if (!dry) await repackPacks(deps, group);
    for (const id of group) {
      if (!dry && !(await dropPack(db, objects, id))) continue;
      const p = settledById.get(id)!;
      report.mergedPacks++;
      report.deletedPacks++;
      report.freedBytes += p.size - p.live;
    }
  }
  for await (const o of objects.list('packs/')) {
    const id = packIdOfKey(o.key);
    if (!id || known.has(id) || packTime(id) >= Math.min(cutoff.getTime(), start.getTime() - ORPHAN_MIN_AGE_MS)) continue;
    // Re-check: the pack may have been indexed since we listed the rows.
    if (await db.selectFrom('packs').select('id').where('id', '=', id).executeTakeFirst()) continue;
    if (!dry) await objects.delete(o.key);
    report.deletedPacks++;
    report.freedBytes += o.size;
  }
  return report;
}

/** Deletes a pack row only if no index row points into it, then its object. */
async function dropPack(db: StorageDb, objects: ObjectStore, id: string): Promise<boolean> {
  const del = await db
    .deleteFrom('packs')
    .where('id', '=', id)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('chunks').select('chunks.id').where('chunks.pack_id', '=', id))))
    .executeTakeFirst();
  if (Number(del.numDeletedRows) === 0) return false;
  await objects.delete(packKey(id));
  return true;
}

/** Dry run: chunks that would be unreferenced once the `doomed` blobs are gone. */
async function deadChunksDry(db: StorageDb, cutoffIso: string, doomed: Set<string>) {
  const old = await db.selectFrom('chunks').select(['id', 'stored_length', 'pack_id']).where('touched_at', '<', cutoffIso).execute();
  const out = [];
  for (const part of batches(old)) {
    const refs = await db.selectFrom('blob_chunks').select(['chunk_id', 'blob_sha256']).where('chunk_id', 'in', part.map((c) => c.id)).execute();
    const kept = new Set(refs.filter((r) => !doomed.has(r.blob_sha256)).map((r) => r.chunk_id));
    out.push(...part.filter((c) => !kept.has(c.id)));
  }
  return out;
}
