import type { FsckReport, GcOptions, GcReport, StorageStats } from '@steward/core/api';
import type { HttpTransport } from '../http.ts';

export type { FsckReport, GcOptions, GcReport, StorageStats };

/**
 * Storage maintenance (see docs/storage.md). `gc` and `fsck` need an admin token.
 */
export class StorageApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * const { dedupRatio } = await client.storage.stats('acme/llm');
   */
  stats(model?: string): Promise<StorageStats> {
    return this.http.json('GET', '/storage/stats', undefined, { model });
  }

  /**
   * @example
   * const report = await client.storage.gc({ graceSeconds: 3600, dryRun: true });
   */
  gc(opts: GcOptions = {}): Promise<GcReport> {
    return this.http.json('POST', '/storage/gc', opts);
  }

  /**
   * Re-hashes every chunk and checks packs, recipes, index rows and version files.
   * @example
   * const { ok, problems } = await client.storage.fsck();
   */
  fsck(): Promise<FsckReport> {
    return this.http.json('POST', '/storage/fsck');
  }
}
