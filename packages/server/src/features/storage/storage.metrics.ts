import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../db/connect.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { DeltaFrameCache } from './delta-frames.ts';

/** Exposes the delta frame cache at /metrics: what it holds, and how often a fetch found its frame there. */
export function watchDeltaFrames(registry: Registry, cache: DeltaFrameCache): void {
  const gauge = (name: string, help: string, key: keyof ReturnType<DeltaFrameCache['stats']>) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(cache.stats()[key]); } });
  gauge('steward_storage_delta_frames', 'Delta frames (chunk zstd against its bases) remembered for the next device', 'entries');
  gauge('steward_storage_delta_frames_bytes', 'Bytes the delta frame cache holds (budget: STEWARD_DELTA_CACHE_SIZE)', 'bytes');
  gauge('steward_storage_delta_frame_hits', 'Delta frames served from the cache since start (no dictionary built)', 'hits');
  gauge('steward_storage_delta_frame_misses', 'Delta frames computed since start (the dictionary built, the result remembered)', 'misses');
}

/** The local directories the server writes into: a file store's root and an SQLite database's directory. */
export function localWritePlaces(objects: ObjectStore, db: Pick<Db, 'file'>): { place: string; dir: string }[] {
  const places: { place: string; dir: string }[] = [];
  const root = (objects as { rootDir?: unknown }).rootDir;
  if (objects.kind === 'file' && typeof root === 'string') places.push({ place: 'objects', dir: root });
  if (db.file !== undefined && db.file !== ':memory:') places.push({ place: 'database', dir: dirname(db.file) });
  return places;
}

/**
 * Free bytes (for the server's user) where the server writes, as `steward_disk_free_bytes{place}`:
 * alert on it before pushes meet 507 storage_full. A directory not made yet (the file store makes
 * its root at the first put) is measured at its nearest existing parent, where it will be made.
 */
export function watchDiskSpace(registry: Registry, places: { place: string; dir: string }[]): void {
  if (places.length === 0) return;
  new Gauge({
    name: 'steward_disk_free_bytes',
    help: 'Free bytes on the file system of the file store (place="objects") and of the SQLite database (place="database")',
    labelNames: ['place'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of places) {
        const s = statfsOfNearest(p.dir);
        if (s) this.set({ place: p.place }, Number(s.bavail) * Number(s.bsize));
      }
    },
  });
}

/** statfs of `dir`, or of its nearest existing parent; null if none can be read. */
function statfsOfNearest(dir: string): ReturnType<typeof statfsSync> | null {
  for (let d = dir; ; d = dirname(d)) {
    try {
      return statfsSync(d);
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}
