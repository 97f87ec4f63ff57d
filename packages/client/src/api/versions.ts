import { filePath, seg, type HttpTransport } from '../http.ts';
import type { Comparison, Page, Version, VersionQuery, VersionUpdate } from '../types.ts';
import { downloadHeaders, toDownload, type Download, type DownloadOptions } from './download.ts';

/** Committed versions: list, read, edit description/tags, download files, compare. */
export class VersionsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * One page, in semver order.
   * @example
   * const { items } = await client.versions.list('fraud', { range: '^1.0', filter: 'metrics.f1>=0.92' });
   */
  list(model: string, query: VersionQuery = {}): Promise<Page<Version>> {
    return this.http.json('GET', `/models/${seg(model)}/versions`, undefined, { ...query });
  }

  /**
   * `ref` is a semver, `latest`, or a channel name (its stable version).
   * @example
   * const v = await client.versions.get('fraud', 'production');
   */
  get(model: string, ref: string): Promise<Version> {
    return this.http.json('GET', `/models/${seg(model)}/versions/${seg(ref)}`);
  }

  /** Only description and tags stay editable after commit; a `null` tag value removes it. */
  update(model: string, version: string, patch: VersionUpdate): Promise<Version> {
    return this.http.json('PATCH', `/models/${seg(model)}/versions/${seg(version)}`, patch);
  }

  /**
   * Streams one file of a version (Range and If-None-Match supported).
   * @example
   * const dl = await client.versions.file('fraud', '1.2.0', 'tokenizer/vocab.json');
   * const text = await new Response(dl.body).text();
   */
  async file(model: string, version: string, path: string, opts: DownloadOptions = {}): Promise<Download> {
    const url = `/models/${seg(model)}/versions/${seg(version)}/files/${filePath(path)}`;
    const res = await this.http.raw('GET', url, { headers: downloadHeaders(opts), allow: [304], signal: opts.signal });
    return toDownload(res);
  }

  /**
   * @example
   * const diff = await client.versions.compare('fraud', '1.0.0', '1.1.0');
   */
  compare(model: string, a: string, b: string): Promise<Comparison> {
    return this.http.json('GET', `/models/${seg(model)}/compare`, undefined, { a, b });
  }
}
