import { Gauge, type Registry } from 'prom-client';
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
