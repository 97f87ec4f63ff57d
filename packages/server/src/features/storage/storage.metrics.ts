import { Gauge, type Registry } from 'prom-client';
import type { DiskReserve } from './disk-reserve.ts';
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

/**
 * Free bytes (for the server's user) where the server writes, as `steward_disk_free_bytes{place}`,
 * and the reserve uploads leave there as `steward_disk_min_free_bytes`: alert when the first nears
 * the second, before pushes meet 507 storage_full. A directory not made yet (the file store makes
 * its root at the first put) is measured at its nearest existing parent, where it will be made.
 */
export function watchDiskSpace(registry: Registry, reserve: DiskReserve): void {
  new Gauge({
    name: 'steward_disk_free_bytes',
    help: 'Free bytes on the file system of the file store (place="objects") and of the SQLite database (place="database")',
    labelNames: ['place'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of reserve.space()) if (p.freeBytes !== null) this.set({ place: p.place }, p.freeBytes);
    },
  });
  new Gauge({
    name: 'steward_disk_min_free_bytes',
    help: 'Free bytes uploads must leave at each place (STEWARD_MIN_FREE_MIB); an upload that would cut into them answers 507 storage_full',
    registers: [registry],
    collect() {
      this.set(reserve.minFreeBytes);
    },
  });
}
