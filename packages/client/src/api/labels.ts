import { seg, type HttpTransport } from '../http.ts';
import type { LabelImport, QueuedLabel } from '@steward/core/api';
import type { IngestResult } from './events.ts';

export type { LabelImport, QueuedLabel };

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
  import(model: string, labels: LabelImport['labels']): Promise<IngestResult> {
    return this.http.json('POST', `/models/${seg(model)}/labels`, { labels });
  }
}
