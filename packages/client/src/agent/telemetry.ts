import type { VersionTelemetry } from '../api/fleet.ts';

/** Latencies kept per version per batch for the percentiles (a uniform sample beyond this). */
const SAMPLE = 512;

/**
 * Per-version counters between two heartbeats. `record` is O(1) and never awaits, so inference
 * is never blocked by reporting; `drain` hands the batch to the next heartbeat and starts over.
 */
export function createTelemetryBuffer(random: () => number = Math.random) {
  let batch = new Map<string, { model: string; version: string; requests: number; errors: number; lat: number[] }>();
  return {
    record(model: string, version: string, outcome: { error?: boolean; latencyMs?: number }) {
      const k = `${model}@${version}`;
      let e = batch.get(k);
      if (!e) batch.set(k, (e = { model, version, requests: 0, errors: 0, lat: [] }));
      e.requests++;
      if (outcome.error) e.errors++;
      if (outcome.latencyMs !== undefined && Number.isFinite(outcome.latencyMs)) {
        if (e.lat.length < SAMPLE) e.lat.push(outcome.latencyMs);
        else {
          const j = Math.floor(random() * e.requests); // reservoir sampling (Vitter's R)
          if (j < SAMPLE) e.lat[j] = outcome.latencyMs;
        }
      }
    },
    drain(): VersionTelemetry[] {
      const out: VersionTelemetry[] = [];
      for (const e of batch.values()) {
        const s = [...e.lat].sort((a, b) => a - b);
        const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
        out.push({ model: e.model, version: e.version, requests: e.requests, errors: e.errors, ...(s.length ? { latencyMsP50: q(0.5), latencyMsP99: q(0.99) } : {}) });
      }
      batch = new Map();
      return out;
    },
    /** Puts a batch back after a failed heartbeat, so nothing is lost. */
    restore(items: VersionTelemetry[]) {
      for (const t of items) {
        const k = `${t.model}@${t.version}`;
        const e = batch.get(k) ?? { model: t.model, version: t.version, requests: 0, errors: 0, lat: [] };
        e.requests += t.requests;
        e.errors += t.errors;
        batch.set(k, e);
      }
    },
  };
}

export type TelemetryBuffer = ReturnType<typeof createTelemetryBuffer>;
