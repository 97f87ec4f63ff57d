import { availableParallelism } from 'node:os';
import type { StewardClient } from '../client.ts';
import type { FileEntry, Version, VersionMetadata } from '../types.ts';
import { StewardApiError } from '../errors.ts';
import { chunkFile, DEFAULT_SEGMENT_BYTES, type FileRecipe } from './chunk-file.ts';
import { createChunkPool } from './chunk-pool.ts';
import { uploadRecipes, type ChunkedUploadOptions } from './chunked-upload.ts';
import { collectFiles, type LocalFile } from './collect-files.ts';
import { putBlobFromFile } from './http-upload.ts';
import { withRetry } from './retry.ts';

/** Progress of one phase; bytes are cumulative over the phase, `total` is the phase's byte count. */
export interface TransferProgress {
  /** `chunk`: content-defined chunking + hashing of local files (push). */
  phase: 'hash' | 'chunk' | 'upload' | 'download';
  /** File being processed. */
  path: string;
  bytes: number;
  total: number;
}

export interface PushOptions {
  model: string;
  version: string;
  /** Files and directories, see collectFiles. */
  paths: string[];
  metadata?: VersionMetadata;
  /** Resolves relative `paths`; default process.cwd(). */
  cwd?: string;
  onProgress?: (p: TransferProgress) => void;
  /** Chunking threads; default: all cores for pushes of 64 MiB or more, inline below. */
  threads?: number;
  /** Files of at least 2 segments are chunked by several workers in parallel (bytes). */
  segmentBytes?: number;
  /** Batch size, requests in flight and retries of the chunk upload. */
  upload?: Omit<ChunkedUploadOptions, 'onBytes'>;
}

export interface PushResult {
  version: Version;
  /** Blobs sent / already on the server (counted once per distinct digest). */
  uploaded: number;
  skipped: number;
  uploadedBytes: number;
  /** Distinct chunks of the blobs that were sent, and how many of them the server lacked. Absent on servers without the chunk API. */
  chunks?: { total: number; uploaded: number };
}

/**
 * Publishes a version: chunk and hash files (streaming, on worker threads), create a draft, send
 * only the chunks the server lacks for blobs it lacks, declare each blob by its recipe, attach
 * files, commit. A server without the chunk API gets whole blobs instead. Any failure after the
 * draft exists deletes the draft, so nothing half-pushed stays behind; chunks already sent stay
 * and are not sent again by the next attempt.
 *
 * @example
 * const { version } = await pushVersion(client, {
 *   model: 'fraud', version: '1.2.0', paths: ['model.onnx', './tokenizer/'],
 *   metadata: { metrics: { f1: 0.93 }, parent: '1.1.0', relation: 'retrain' },
 *   onProgress: (p) => console.error(p.phase, p.path, p.bytes, '/', p.total),
 * });
 */
export async function pushVersion(client: StewardClient, opts: PushOptions): Promise<PushResult> {
  const local = await collectFiles(opts.paths, opts.cwd);
  if (local.length === 0) throw new Error('nothing to push: the given paths contain no files');
  const recipes = await chunkAll(local, opts);
  const entries: FileEntry[] = local.map((f, i) => ({ path: f.path, sha256: recipes[i]!.sha256, size: recipes[i]!.size }));
  const draft = await client.drafts.create(opts.model, { ...opts.metadata, version: opts.version });
  try {
    const stats = (await uploadDelta(client, local, recipes, opts)) ?? (await uploadMissing(client, local, entries, opts.onProgress));
    await client.drafts.attach(opts.model, draft.id, entries);
    const version = await client.drafts.commit(opts.model, draft.id);
    return { version, ...stats };
  } catch (err) {
    await client.drafts.delete(opts.model, draft.id).catch(() => undefined); // best effort; drafts expire anyway
    throw err;
  }
}

/** Chunks every file (files in parallel, large files split into segments), in `local` order. */
async function chunkAll(local: LocalFile[], opts: PushOptions): Promise<FileRecipe[]> {
  const total = local.reduce((s, f) => s + f.size, 0);
  let done = 0;
  let current = local[0]?.path ?? '';
  // Workers (plain JavaScript, bundled once per process) start in ~0.2 s: worth it from 64 MiB.
  // Closed once the files are chunked, so they hold no memory during the upload.
  const pool = createChunkPool(opts.threads ?? (total >= 64 << 20 ? Math.min(availableParallelism(), 8) : 0), (delta) => {
    done += delta;
    opts.onProgress?.({ phase: 'chunk', path: current, bytes: done, total });
  });
  try {
    return await Promise.all(
      local.map(async (f) => {
        current = f.path; // files are queued together; the bar names the last one queued or started
        const r = await chunkFile(pool, f.absPath, f.size, opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
        if (r.size !== f.size) throw new Error(`${f.path} changed while being pushed (${f.size} → ${r.size} bytes)`);
        return r;
      }),
    );
  } finally {
    await pool.close();
  }
}

/** Chunk-level upload of the blobs the server lacks; null if the server has no chunk API. */
async function uploadDelta(
  client: StewardClient,
  local: LocalFile[],
  recipes: FileRecipe[],
  opts: PushOptions,
): Promise<Omit<PushResult, 'version'> | null> {
  const byDigest = new Map<string, { absPath: string; recipe: FileRecipe; path: string }>();
  recipes.forEach((r, i) => byDigest.set(r.sha256, { absPath: local[i]!.absPath, recipe: r, path: local[i]!.path }));
  const missing: { absPath: string; recipe: FileRecipe; path: string }[] = [];
  for (const item of byDigest.values()) if ((await withRetry(() => client.blobs.head(item.recipe.sha256))) === null) missing.push(item);
  try {
    await client.chunks.missing([]);
  } catch (err) {
    if (err instanceof StewardApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
  const stats = await uploadRecipes(client, missing, {
    ...opts.upload,
    onBytes: (sent, total, abs) =>
      opts.onProgress?.({ phase: 'upload', path: missing.find((m) => m.absPath === abs)?.path ?? abs, bytes: sent, total }),
  });
  return {
    uploaded: missing.length,
    skipped: byDigest.size - missing.length,
    uploadedBytes: stats.uploadedBytes,
    chunks: { total: stats.chunks, uploaded: stats.chunksUploaded },
  };
}

async function uploadMissing(
  client: StewardClient,
  local: LocalFile[],
  entries: FileEntry[],
  onProgress: PushOptions['onProgress'],
): Promise<Omit<PushResult, 'version'>> {
  // One upload per distinct digest, even if several paths share the content.
  const byDigest = new Map<string, { entry: FileEntry; abs: string }>();
  entries.forEach((e, i) => byDigest.set(e.sha256, { entry: e, abs: (local[i] as LocalFile).absPath }));
  const missing: { entry: FileEntry; abs: string }[] = [];
  for (const item of byDigest.values()) if ((await client.blobs.head(item.entry.sha256)) === null) missing.push(item);
  const total = missing.reduce((s, m) => s + m.entry.size, 0);
  let done = 0;
  for (const { entry, abs } of missing) {
    await uploadFile(client, abs, entry, (n) => onProgress?.({ phase: 'upload', path: entry.path, bytes: done + n, total }));
    done += entry.size;
  }
  return { uploaded: missing.length, skipped: byDigest.size - missing.length, uploadedBytes: total };
}

/**
 * Streams one file to the blob store under its digest (no HEAD check).
 * @example
 * const { sha256, size } = await hashFile('train.parquet');
 * await uploadFile(client, 'train.parquet', { sha256, size });
 */
export async function uploadFile(
  client: StewardClient,
  absPath: string,
  digest: { sha256: string; size: number },
  onBytes?: (bytesSent: number) => void,
): Promise<void> {
  await putBlobFromFile(client, absPath, digest, onBytes);
}
