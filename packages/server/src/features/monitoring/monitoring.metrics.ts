import { Counter, Gauge, type Registry } from 'prom-client';
import type { IngestResult } from './monitoring.service.ts';

export interface PendingStats {
  pending: number;
  unflushed: number;
  evicted: number;
  expired: number;
}

export interface MonitoringCounters {
  record(res: IngestResult): void;
  /** Exposes the label-join table: its size, what a crash would lose, and what was dropped. */
  watchPending(read: () => PendingStats): void;
}

/** Prometheus counters for ingest: accepted by type, rejected by reason (bounded label sets). */
export function createMonitoringCounters(registry: Registry): MonitoringCounters {
  const accepted = new Counter({ name: 'steward_monitoring_events_accepted_total', help: 'Monitoring events accepted, by type', labelNames: ['type'], registers: [registry] });
  const rejected = new Counter({ name: 'steward_monitoring_events_rejected_total', help: 'Monitoring events rejected, by reason', labelNames: ['reason'], registers: [registry] });
  let read: (() => PendingStats) | undefined;
  const gauge = (name: string, help: string, key: keyof PendingStats) =>
    new Gauge({ name, help, registers: [registry], collect() { if (read) this.set(read()[key]); } });
  gauge('steward_monitoring_pending_predictions', 'Predictions held for their label (in memory, written or not)', 'pending');
  gauge('steward_monitoring_pending_unflushed', 'Predictions not yet written: what a crash now would lose', 'unflushed');
  gauge('steward_monitoring_pending_evicted', 'Predictions dropped at the pending cap since start: their labels cannot join', 'evicted');
  gauge('steward_monitoring_pending_expired', 'Unwritten predictions dropped past the label horizon since start', 'expired');
  return {
    watchPending(r) {
      read = r;
    },
    record(res) {
      if (res.predictions) accepted.inc({ type: 'prediction' }, res.predictions);
      if (res.feedback) accepted.inc({ type: 'feedback' }, res.feedback);
      for (const [reason, n] of Object.entries(res.reasons)) rejected.inc({ reason }, n ?? 0);
    },
  };
}
