import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { createChunkService } from './chunks.service.ts';
import { fsck, type FsckReport } from './fsck.ts';
import { collectGarbage, type GcOptions, type GcReport } from './gc.ts';
import { DEFAULT_PACK_SIZE } from './pack-writer.ts';
import { storageStats } from './storage-stats.ts';
import { storageDb } from './storage.tables.ts';

/**
 * Storage maintenance and the chunk endpoints. GC and fsck take one in-process lock, so they never
 * run concurrently with each other on one server (fsck would report chunks GC is moving).
 * Run GC from one server at a time when several share a database.
 */
export function createStorageService(deps: { db: Kysely<Database>; objects: ObjectStore; now: () => Date; packSize?: number }) {
  const db = storageDb(deps.db);
  const ctx = { db, objects: deps.objects, now: deps.now, packSize: deps.packSize ?? DEFAULT_PACK_SIZE };
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => undefined);
    return run;
  };
  return {
    chunks: createChunkService(ctx),
    stats: (model?: string) => storageStats(db, model),
    gc: (opts: GcOptions = {}): Promise<GcReport> => exclusive(() => collectGarbage(ctx, opts)),
    fsck: (): Promise<FsckReport> => exclusive(() => fsck(ctx)),
  };
}

export type StorageService = ReturnType<typeof createStorageService>;
