import { Counter, type Registry } from 'prom-client';
import type { IngestResult } from './monitoring.service.ts';

export interface MonitoringCounters {
  record(res: IngestResult): void;
}

/** Prometheus counters for ingest: accepted by type, rejected by reason (bounded label sets). */
export function createMonitoringCounters(registry: Registry): MonitoringCounters {
  const accepted = new Counter({ name: 'steward_monitoring_events_accepted_total', help: 'Monitoring events accepted, by type', labelNames: ['type'], registers: [registry] });
  const rejected = new Counter({ name: 'steward_monitoring_events_rejected_total', help: 'Monitoring events rejected, by reason', labelNames: ['reason'], registers: [registry] });
  return {
    record(res) {
      if (res.predictions) accepted.inc({ type: 'prediction' }, res.predictions);
      if (res.feedback) accepted.inc({ type: 'feedback' }, res.feedback);
      for (const [reason, n] of Object.entries(res.reasons)) rejected.inc({ reason }, n ?? 0);
    },
  };
}
