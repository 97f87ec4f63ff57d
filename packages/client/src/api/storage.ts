import type { HttpTransport } from '../http.ts';

/** `GET /storage/stats`: bytes as users see them vs bytes the store holds. */
export interface StorageStats {
  /** Sum of blob sizes (per model: of its committed versions' files, repeats counted). */
  logicalBytes: number;
  /** Bytes in packs (per model: stored bytes of the distinct chunks its files use). */
  storedBytes: number;
  /** logicalBytes / storedBytes. */
  dedupRatio: number;
  chunks: number;
  packs: number;
  blobs: number;
}

export interface GcOptions {
  /** Only data untouched this long is swept (default 3600). Must exceed your longest push. */
  graceSeconds?: number;
  /** Rewrite packs whose live share is below this (0..1, default 0.5). */
  repackBelow?: number;
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
}

export interface GcReport {
  deletedChunks: number;
  deletedBlobs: number;
  repackedPacks: number;
  deletedPacks: number;
  freedBytes: number;
}

export interface FsckReport {
  /** False when any problem was found. */
  ok: boolean;
  checked: { chunks: number; packs: number; blobs: number; versions: number };
  problems: { kind: string; id: string; message: string }[];
}

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
