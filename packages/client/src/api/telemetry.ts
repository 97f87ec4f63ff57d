import type { HttpTransport } from '../http.ts';

/** Counters for one version over one window (at most 1 h), as agents report them. */
export interface TelemetryWindow {
  model: string;
  channel?: string;
  version: string;
  variant?: string;
  arm?: string;
  /** ISO-8601. */
  start: string;
  end: string;
  requests: number;
  errors: number;
  latencyMs?: { p50?: number; p90?: number; p95?: number; p99?: number };
  /** `counts` has one entry per bound plus the overflow; merged exactly across windows. */
  latencyHistogram?: { boundsMs: number[]; counts: number[] };
  /** Shadow rollouts: answers compared with the stable version, and how many agreed. */
  shadow?: { compared: number; agreed: number };
  /** Custom counts (`conversions`), compared as rates in A/B tests. */
  counters?: Record<string, number>;
}

/** Telemetry that rollout analyses read. Needs a node or publisher token. */
export class TelemetryApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * await client.telemetry.report([{ model: 'fraud', channel: 'production', version: '1.2.0',
   *   start, end, requests: 1200, errors: 3, latencyMs: { p95: 41 } }]);
   */
  report(windows: TelemetryWindow[], node?: string): Promise<{ accepted: number }> {
    return this.http.json('POST', '/telemetry', node === undefined ? { windows } : { node, windows });
  }
}
