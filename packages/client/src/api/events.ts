import type { IngestResult } from '@steward/core/api';
import type { HttpTransport } from '../http.ts';

/** One prediction as the service saw it. `score` is P(class 1) for binary classifiers. */
export interface PredictionEventInput {
  type?: 'prediction';
  model: string;
  version: string;
  requestId: string;
  /** ISO-8601; the server's receipt time when absent. */
  time?: string;
  variant?: string;
  channel?: string;
  block?: number;
  unit?: string;
  features: Record<string, number | string | boolean | null>;
  prediction?: string | number | null;
  score?: number;
  probabilities?: Record<string, number>;
  latencyMs?: number;
  error?: boolean | string;
  /** Sensitive attributes for fairness, e.g. `{ sex: 'Female' }`. */
  groups?: Record<string, string>;
}

/** The true label of an earlier prediction, joined by request id. */
export interface FeedbackEventInput {
  type: 'feedback';
  model: string;
  requestId: string;
  label: 0 | 1 | boolean;
  time?: string;
}

export type MonitoringEventInput = PredictionEventInput | FeedbackEventInput;

export type { IngestResult };

/** Events: NDJSON batches of predictions and feedback. */
export class EventsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Sends one batch. Bad lines are rejected and counted in the answer; the rest are accepted.
   * @example
   * await client.events.send([{ model: 'adult', version: '1.0.0', requestId: 'r1', features: { age: 39 }, score: 0.82 }]);
   */
  async send(events: readonly MonitoringEventInput[]): Promise<IngestResult> {
    return this.sendNdjson(events.map((e) => JSON.stringify(e)).join('\n'));
  }

  async sendNdjson(body: string, signal?: AbortSignal): Promise<IngestResult> {
    const res = await this.http.raw('POST', '/events', { body, headers: { 'content-type': 'application/x-ndjson', accept: 'application/json' }, ...(signal ? { signal } : {}) });
    return (await res.json()) as IngestResult;
  }
}
