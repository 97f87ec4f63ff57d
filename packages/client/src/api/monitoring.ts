import type {
  DriftReport, FairnessOverTime, FairnessQuery, MonitorQuery, PerformanceReport, RangeQuery, Reference, ReferenceCsvQuery,
  ReferenceRequest, ReferenceSummary, WindowSize, WindowView,
} from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type {
  DriftReport, FairnessOverTime, FairnessQuery, MonitorQuery, PerformanceReport, RangeQuery, Reference, ReferenceCsvQuery,
  ReferenceRequest, ReferenceSummary, WindowSize, WindowView,
};

/** Monitoring reads: metrics per window, drift, performance, fairness, reference profiles. */
export class MonitoringApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * const { items } = await client.monitoring.windows('adult', { version: '1.0.0', window: '1h', since: '1d' });
   */
  windows(model: string, q: MonitorQuery = {}): Promise<{ items: WindowView[] }> {
    return this.http.json('GET', `/models/${seg(model)}/monitor`, undefined, { ...q });
  }

  drift(model: string, version: string, q: RangeQuery = {}): Promise<DriftReport> {
    return this.http.json('GET', `${this.#v(model, version)}/drift`, undefined, { ...q });
  }

  performance(model: string, version: string, q: RangeQuery = {}): Promise<PerformanceReport> {
    return this.http.json('GET', `${this.#v(model, version)}/performance`, undefined, { ...q });
  }

  fairness(model: string, version: string, attr: string, q: Omit<FairnessQuery, 'attr'> = {}): Promise<FairnessOverTime> {
    return this.http.json('GET', `${this.#v(model, version)}/fairness`, undefined, { ...q, attr });
  }

  /** Build the reference profile from a dataset registered on the version. */
  setReference(model: string, version: string, body: ReferenceRequest): Promise<ReferenceSummary> {
    return this.http.json('POST', `${this.#v(model, version)}/reference`, body);
  }

  /** Upload a CSV (within the server's JSON size limit) as the reference. */
  async uploadReference(model: string, version: string, csv: string, q: ReferenceCsvQuery = {}): Promise<ReferenceSummary> {
    const res = await this.http.raw('PUT', `${this.#v(model, version)}/reference`, { body: csv, headers: { 'content-type': 'text/csv', accept: 'application/json' }, query: { ...q } });
    return (await res.json()) as ReferenceSummary;
  }

  reference(model: string, version: string): Promise<Reference> {
    return this.http.json('GET', `${this.#v(model, version)}/reference`);
  }

  #v(model: string, version: string): string {
    return `/models/${seg(model)}/versions/${seg(version)}`;
  }
}
