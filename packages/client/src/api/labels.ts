import { seg, type HttpTransport } from '../http.ts';
import type { IngestResult } from './events.ts';

export interface QueuedLabel {
  id: string;
  version: string;
  requestId: string;
  uncertainty: number;
  rule: string;
  status: 'queued' | 'labelled';
  createdAt: string;
  row: { requestId: string; time: string; features: Record<string, unknown>; score?: number; probabilities?: Record<string, number> };
}

/** The label queue filled by `queue-labels` rules; imported labels become feedback events. */
export class LabelsApi {
  constructor(private readonly http: HttpTransport) {}

  async list(model: string, q: { status?: 'queued' | 'labelled'; limit?: number } = {}): Promise<QueuedLabel[]> {
    return (await this.http.json<{ items: QueuedLabel[] }>('GET', `/models/${seg(model)}/labels`, undefined, { ...q })).items;
  }

  /**
   * @example
   * await client.labels.import('adult', [{ requestId: 'r1', label: 1 }]);
   */
  import(model: string, labels: Array<{ requestId: string; label: 0 | 1 | boolean }>): Promise<IngestResult> {
    return this.http.json('POST', `/models/${seg(model)}/labels`, { labels });
  }
}
