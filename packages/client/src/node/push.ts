import type { StewardClient } from '../client.ts';
import type { FileEntry, Version, VersionMetadata } from '../types.ts';
import { collectFiles, type LocalFile } from './collect-files.ts';
import { hashFile } from './hash-file.ts';
import { putBlobFromFile } from './http-upload.ts';

/** Progress of one phase; bytes are cumulative over the phase, `total` is the phase's byte count. */
export interface TransferProgress {
  phase: 'hash' | 'upload' | 'download';
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
}

export interface PushResult {
  version: Version;
  /** Blobs sent / already on the server (counted once per distinct digest). */
  uploaded: number;
  skipped: number;
  uploadedBytes: number;
}

/**
 * Publishes a version: hash files (streaming), create a draft, upload only blobs the server
 * lacks (streamed from disk), attach files, commit. Any failure after the draft exists deletes
 * the draft, so nothing half-pushed stays behind.
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
  const entries = await hashAll(local, opts.onProgress);
  const draft = await client.drafts.create(opts.model, { ...opts.metadata, version: opts.version });
  try {
    const stats = await uploadMissing(client, local, entries, opts.onProgress);
    await client.drafts.attach(opts.model, draft.id, entries);
    const version = await client.drafts.commit(opts.model, draft.id);
    return { version, ...stats };
  } catch (err) {
    await client.drafts.delete(opts.model, draft.id).catch(() => undefined); // best effort; drafts expire anyway
    throw err;
  }
}

async function hashAll(local: LocalFile[], onProgress: PushOptions['onProgress']): Promise<FileEntry[]> {
  const total = local.reduce((s, f) => s + f.size, 0);
  let done = 0;
  const out: FileEntry[] = [];
  for (const f of local) {
    const d = await hashFile(f.absPath, (n) => onProgress?.({ phase: 'hash', path: f.path, bytes: done + n, total }));
    done += d.size;
    out.push({ path: f.path, sha256: d.sha256, size: d.size });
  }
  return out;
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
