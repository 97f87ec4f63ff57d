import type { TelemetryWindow } from '@steward/core/api';
import type { HttpTransport } from '../http.ts';

export type { TelemetryWindow };

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
