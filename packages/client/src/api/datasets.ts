import type { Dataset, DatasetSchema } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { Dataset, DatasetSchema };

export interface DatasetPushOptions {
  format: 'csv' | 'jsonl';
  label: string;
  sensitive?: string[];
  features?: string[];
  task?: DatasetSchema['task'];
  positiveClass?: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Evaluation datasets: versioned, immutable, with a schema (label, features, sensitive columns). */
export class DatasetsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Uploads the bytes (skipped if the server has them) and registers `name@version`.
   * @example
   * await client.datasets.push('adult-test', '1', readFileSync('adult-test.csv'), { format: 'csv', label: 'income', sensitive: ['sex', 'race'] });
   */
  async push(name: string, version: string, bytes: Uint8Array, opts: DatasetPushOptions): Promise<Dataset> {
    const sha256 = await sha256Hex(bytes);
    const have = await this.http.raw('HEAD', `/blobs/${sha256}`, { allow: [404] });
    if (have.status === 404) {
      await this.http.raw('PUT', `/blobs/${sha256}`, { body: bytes, headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) } });
    }
    return this.register(name, { version, sha256, ...opts });
  }

  /** Registers bytes already uploaded with `client.blobs.put`. */
  register(name: string, input: DatasetPushOptions & { version: string; sha256: string }): Promise<Dataset> {
    return this.http.json('POST', `/datasets/${seg(name)}/versions`, input);
  }

  get(name: string, version: string): Promise<Dataset> {
    return this.http.json('GET', `/datasets/${seg(name)}/versions/${seg(version)}`);
  }

  async list(name?: string): Promise<Dataset[]> {
    return (await this.http.json<{ items: Dataset[] }>('GET', '/datasets', undefined, { name })).items;
  }
}
