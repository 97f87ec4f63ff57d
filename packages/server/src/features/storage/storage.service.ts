import type { Kysely } from 'kysely';
import { ConflictError } from '@steward/core';
import { createLeases } from '../../db/leases.ts';
import type { Database } from '../../db/schema.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { ChunkArrivals } from './chunk-arrivals.ts';
import { createChunkService } from './chunks.service.ts';
import { fsck, type FsckReport } from './fsck.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';
import { DeltaFrameCache } from './delta-frames.ts';
import { DEFAULT_PACK_SIZE } from './pack-writer.ts';
import { storageStats } from './storage-stats.ts';
import { storageDb } from './storage.tables.ts';

/** How long a storage maintenance lease lasts without renewal (it is renewed every third of it while the job runs). */
const MAINTENANCE_LEASE_MS = 2 * 60 * 1000;

/**
 * Storage maintenance and the chunk endpoints. GC and fsck never run at the same time, on one
 * server or across the servers of one database: fsck would report chunks GC is moving, and two
 * GCs would both copy the same packs. On one server they queue behind an in-process lock; across
 * servers they take the `storage-maintenance` lease, and a second server's request is refused
 * with 409 `storage_maintenance_running` (a crashed holder's lease expires after two minutes).
 */
export function createStorageService(deps: { db: Kysely<Database>; objects: ObjectStore; now: () => Date; packSize?: number; arrivals?: ChunkArrivals; deltaCacheSize?: number }) {
  const db = storageDb(deps.db);
  const ctx = { db, objects: deps.objects, now: deps.now, packSize: deps.packSize ?? DEFAULT_PACK_SIZE };
  const leases = createLeases(deps.db, { now: deps.now });
  const busy = (job: string) => (held: { holder: string; acquiredAt: string } | null): never => {
    throw new ConflictError(
      `storage maintenance is running on another server${held ? ` (${held.holder}, since ${held.acquiredAt})` : ''}; ${job} waits for it: retry when it has finished`,
      { ...(held ? { holder: held.holder, since: held.acquiredAt } : {}) },
      'storage_maintenance_running',
    );
  };
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(job: string, fn: () => Promise<T>): Promise<T> => {
    const leased = () => leases.withLease('storage-maintenance', MAINTENANCE_LEASE_MS, fn, busy(job));
    const run = lock.then(leased, leased);
    lock = run.catch(() => undefined);
    return run;
  };
  return {
    chunks: createChunkService({ ...ctx, ...(deps.arrivals ? { arrivals: deps.arrivals } : {}), deltaFrames: new DeltaFrameCache(deps.deltaCacheSize) }),
    stats: (model?: string) => storageStats(db, model),
    gc: (opts: GcOptions = {}): Promise<GcReport> => exclusive('gc', () => collectGarbage(ctx, opts)),
    fsck: (): Promise<FsckReport> => exclusive('fsck', () => fsck(ctx)),
  };
}

export type StorageService = ReturnType<typeof createStorageService>;
