import type { RangeQuery, ReferenceRequest, WindowSize } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { RangeQuery, ReferenceRequest, WindowSize };

export interface WindowView {
  model: string;
  version: string;
  start: string;
  end: string;
  /** count, errorRate, latencyP95Ms, accuracy, f1, estimatedAccuracy, alarms… (null where no data). */
  metrics: Record<string, number | null | Record<string, number>>;
}

/** Monitoring reads: metrics per window, drift, performance, fairness, reference profiles. */
export class MonitoringApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * const { items } = await client.monitoring.windows('adult', { version: '1.0.0', window: '1h', since: '1d' });
   */
  windows(model: string, q: RangeQuery & { version?: string; window?: WindowSize } = {}): Promise<{ items: WindowView[] }> {
    return this.http.json('GET', `/models/${seg(model)}/monitor`, undefined, { ...q });
  }

  drift(model: string, version: string, q: RangeQuery = {}): Promise<Record<string, any>> {
    return this.http.json('GET', `${this.#v(model, version)}/drift`, undefined, { ...q });
  }

  performance(model: string, version: string, q: RangeQuery = {}): Promise<Record<string, any>> {
    return this.http.json('GET', `${this.#v(model, version)}/performance`, undefined, { ...q });
  }

  fairness(model: string, version: string, attr: string, q: RangeQuery & { minGroupSize?: number } = {}): Promise<Record<string, any>> {
    return this.http.json('GET', `${this.#v(model, version)}/fairness`, undefined, { ...q, attr });
  }

  /** Build the reference profile from a dataset registered on the version. */
  setReference(model: string, version: string, body: ReferenceRequest): Promise<Record<string, any>> {
    return this.http.json('POST', `${this.#v(model, version)}/reference`, body);
  }

  /** Upload a CSV (within the server's JSON size limit) as the reference. */
  async uploadReference(model: string, version: string, csv: string, q: { label?: string; positiveClass?: string; score?: string; categorical?: string } = {}): Promise<Record<string, any>> {
    const res = await this.http.raw('PUT', `${this.#v(model, version)}/reference`, { body: csv, headers: { 'content-type': 'text/csv', accept: 'application/json' }, query: { ...q } });
    return (await res.json()) as Record<string, any>;
  }

  reference(model: string, version: string): Promise<Record<string, any>> {
    return this.http.json('GET', `${this.#v(model, version)}/reference`);
  }

  #v(model: string, version: string): string {
    return `/models/${seg(model)}/versions/${seg(version)}`;
  }
}
