import { InvalidInputError } from '@steward/core';
import type { AnalysisMetricSource, MetricQuery } from '../rollouts/analysis-source.ts';
import { aggregateWindows, BASE_METRICS } from './aggregate.ts';
import type { TelemetryStore, TelemetryWindow } from './telemetry.store.sql.ts';

/** Windows longer than this are refused: analyses need data at the granularity they measure. */
const MAX_WINDOW_MS = 3_600_000;

export function createTelemetryService(deps: { telemetryStore: TelemetryStore; now: () => Date }) {
  const { telemetryStore, now } = deps;

  const source: AnalysisMetricSource = {
    name: 'telemetry',
    async provides(metric, model) {
      if ((BASE_METRICS as readonly string[]).includes(metric)) return true;
      const m = /^(counter|rate)\.(.+)$/.exec(metric);
      return m !== null && (await telemetryStore.hasCounter(model, m[2]!));
    },
    async query(q: MetricQuery) {
      const windows = await telemetryStore.windows({ model: q.model, version: q.version, channel: q.channel, from: q.from.toISOString(), to: q.to.toISOString(), ...(q.arm ? { arm: q.arm } : {}) });
      return aggregateWindows(windows);
    },
  };

  return {
    source,
    /** Stores client windows after checking they are self-consistent; all or nothing. */
    async ingest(windows: TelemetryWindow[]): Promise<{ accepted: number }> {
      windows.forEach((w, i) => {
        const p = `windows[${i}]`;
        const start = Date.parse(w.start);
        const end = Date.parse(w.end);
        if (!(end > start)) throw new InvalidInputError(`${p}: end must be after start`, { path: p });
        if (end - start > MAX_WINDOW_MS) throw new InvalidInputError(`${p}: a window may span at most 1h; report more often`, { path: p });
        if (end > now().getTime() + 300_000) throw new InvalidInputError(`${p}: end is in the future (check the client clock)`, { path: p });
        if (w.errors > w.requests) throw new InvalidInputError(`${p}: errors (${w.errors}) exceed requests (${w.requests})`, { path: `${p}.errors` });
        if (w.shadowAgreed > w.shadowCompared) throw new InvalidInputError(`${p}: shadow.agreed exceeds shadow.compared`, { path: `${p}.shadow` });
        const h = w.latency?.histogram;
        if (h) {
          if (h.counts.length !== h.boundsMs.length + 1) throw new InvalidInputError(`${p}.latency.histogram: counts needs one entry per bound plus the overflow (${h.boundsMs.length + 1})`, { path: `${p}.latency.histogram` });
          if (h.boundsMs.some((b, j) => j > 0 && b <= h.boundsMs[j - 1]!)) throw new InvalidInputError(`${p}.latency.histogram: boundsMs must increase`, { path: `${p}.latency.histogram` });
        }
      });
      await telemetryStore.insert(windows, now().toISOString());
      return { accepted: windows.length };
    },
  };
}

export type TelemetryService = ReturnType<typeof createTelemetryService>;
