import type { Readable } from 'node:stream';

/** Result of a completed write: the object's size and SHA-256 (lowercase hex), measured while streaming. */
export interface PutResult {
  size: number;
  /** SHA-256 (hex) of the bytes written; absent only when the put asked for `hash: false`. */
  sha256?: string;
}

export interface PutOptions {
  signal?: AbortSignal;
  /**
   * If given, the write is committed only when the streamed bytes hash to this SHA-256 (hex);
   * otherwise nothing is left behind and a DigestMismatchError is thrown.
   */
  expectedSha256?: string;
  /** If given, a size different from this fails the write the same way (code `size_mismatch`). */
  expectedSize?: number;
  /**
   * false: do not hash the bytes (the result has no `sha256`), unless `expectedSha256` is given.
   * Pack writes pass it: every chunk in a pack was verified by its own SHA-256 already, and
   * hashing each pack again cost a full extra pass over every pushed byte.
   */
  hash?: boolean;
}

export interface ObjectStat {
  key: string;
  size: number;
}

/**
 * Where object bytes live. Keys are `/`-separated relative paths (`blobs/sha256/ab/abcd…`).
 * Writes are atomic: a reader sees the whole object or none; a failed or aborted put leaves
 * nothing visible. Overwriting an existing key replaces it atomically.
 */
export interface ObjectStore {
  readonly kind: 'file' | 's3' | 'memory';
  /** Pieces of an iterable body may be kept (not copied) until put settles: a source must not reuse their bytes. */
  put(key: string, body: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts?: PutOptions): Promise<PutResult>;
  /** Throws NotFoundError (code `object_not_found`) if missing. */
  get(key: string, opts?: { signal?: AbortSignal }): Promise<Readable>;
  /** Bytes [start, end] inclusive, like HTTP Range. Throws InvalidInputError (code `range_not_satisfiable`) when out of bounds. */
  getRange(key: string, start: number, end: number, opts?: { signal?: AbortSignal }): Promise<Readable>;
  /**
   * Optional (filesystem): bytes [start, start + out.length) straight into `out`, allocating
   * nothing; the same errors as getRange. Lets a reader that consumes bytes at once reuse a buffer.
   */
  readInto?(key: string, start: number, out: Uint8Array): Promise<void>;
  has(key: string): Promise<boolean>;
  /** Returns null if missing. */
  stat(key: string): Promise<ObjectStat | null>;
  /** All keys starting with prefix, sorted. */
  list(prefix: string): AsyncIterable<ObjectStat>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  close?(): Promise<void>;
}
