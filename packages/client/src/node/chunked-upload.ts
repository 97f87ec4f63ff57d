import { open, type FileHandle } from 'node:fs/promises';
import { batchBySize, FRAME_HEADER_BYTES } from '../api/chunk-frames.ts';
import type { StewardClient } from '../client.ts';
import { StewardApiError } from '../errors.ts';
import type { FileChunk } from './chunk-scan.ts';
import type { FileRecipe } from './chunk-file.ts';
import { withRetry, type RetryOptions } from './retry.ts';

/** A file to publish as a recipe: where its bytes are and how it is chunked. */
export interface RecipeSource {
  absPath: string;
  recipe: FileRecipe;
}

export interface ChunkedUploadOptions {
  /** Bytes per `POST /chunks` request (frames included); ≤ 64 MiB. Default 8 MiB (memory is concurrency × this). */
  batchBytes?: number;
  /** Requests in flight (2–4 keeps a link busy without holding much memory). Default 2. */
  concurrency?: number;
  retry?: RetryOptions;
  /** Cumulative chunk bytes acknowledged by the server, and the total to send. */
  onBytes?: (sent: number, total: number, path: string) => void;
}

export interface ChunkedUploadStats {
  /** Distinct chunks referenced by the files to publish. */
  chunks: number;
  /** Chunks the server lacked and that were sent. */
  chunksUploaded: number;
  /** Chunk payload bytes sent (headers excluded). */
  uploadedBytes: number;
}

interface Located extends FileChunk {
  absPath: string;
}

const MISSING_BATCH = 10_000;

/**
 * Publishes files as recipes: asks which chunks the server lacks, uploads those in framed batches
 * (several in flight, retried with back-off), then `PUT /blobs/{sha}/recipe` per file. Resuming an
 * interrupted push costs nothing extra: chunks that made it are no longer "missing". Memory is
 * `concurrency × batchBytes`: each batch is read from disk straight into its request body.
 */
export async function uploadRecipes(client: StewardClient, sources: RecipeSource[], opts: ChunkedUploadOptions = {}): Promise<ChunkedUploadStats> {
  const byId = new Map<string, Located>();
  for (const s of sources) for (const c of s.recipe.chunks) if (!byId.has(c.id)) byId.set(c.id, { ...c, absPath: s.absPath });
  const ids = [...byId.keys()];
  const missing: Located[] = [];
  for (let i = 0; i < ids.length; i += MISSING_BATCH) {
    const res = await withRetry(() => client.chunks.missing(ids.slice(i, i + MISSING_BATCH)), opts.retry);
    for (const id of res.missing) missing.push(byId.get(id)!);
  }
  const sent = await sendChunks(client, missing, opts);
  for (const s of sources) {
    const body = { size: s.recipe.size, chunks: s.recipe.chunks.map((c) => c.id) };
    try {
      await withRetry(() => client.chunks.putRecipe(s.recipe.sha256, body), opts.retry);
    } catch (err) {
      // Chunks collected between `missing` and now (GC) are re-sent once.
      const again = err instanceof StewardApiError && err.code === 'chunk_missing' ? (err.details?.missing as string[] | undefined) : undefined;
      if (!again) throw err;
      await sendChunks(client, again.map((id) => byId.get(id)!).filter(Boolean), opts);
      await withRetry(() => client.chunks.putRecipe(s.recipe.sha256, body), opts.retry);
    }
  }
  return { chunks: ids.length, chunksUploaded: missing.length, uploadedBytes: sent };
}

async function sendChunks(client: StewardClient, chunks: Located[], opts: ChunkedUploadOptions): Promise<number> {
  const batchBytes = Math.min(opts.batchBytes ?? 8 << 20, 64 << 20);
  // Sorted by file and offset so each batch reads mostly sequentially.
  chunks.sort((a, b) => (a.absPath === b.absPath ? a.offset - b.offset : a.absPath < b.absPath ? -1 : 1));
  const batches = batchBySize(chunks, (c) => c.length, batchBytes);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  let sent = 0;
  let next = 0;
  let failed = false; // once a lane gives up, the others stop taking batches
  const handles = new Map<string, Promise<FileHandle>>();
  const handle = (p: string): Promise<FileHandle> => {
    let h = handles.get(p);
    if (!h) handles.set(p, (h = open(p, 'r')));
    return h;
  };
  const lane = async (): Promise<void> => {
    // One body buffer per lane, reused: a fresh 8 MiB buffer per batch left ~100 MiB of dead
    // buffers waiting for GC in a 4 GiB push. Safe: a batch's request has ended (its body fully
    // sent) before the lane reads the next batch into the buffer.
    let scratch: Buffer | undefined;
    while (next < batches.length && !failed) {
      const batch = batches[next++]!;
      try {
        const size = batch.reduce((n, c) => n + FRAME_HEADER_BYTES + c.length, 0);
        if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, batchBytes));
        const body = await readBatch(batch, handle, scratch.subarray(0, size));
        await withRetry(() => client.chunks.upload(body), opts.retry);
      } catch (err) {
        failed = true;
        throw err;
      }
      const bytes = batch.reduce((n, c) => n + c.length, 0);
      sent += bytes;
      opts.onBytes?.(sent, total, batch.at(-1)!.absPath);
    }
  };
  try {
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, lane));
    const bad = results.find((r) => r.status === 'rejected');
    if (bad) throw bad.reason;
  } finally {
    await Promise.all([...handles.values()].map((h) => h.then((fh) => fh.close(), () => undefined)));
  }
  return sent;
}

/** Builds one request body in `body` (exactly its size), reading each chunk from disk directly into its frame. */
async function readBatch(batch: Located[], handle: (p: string) => Promise<FileHandle>, body: Buffer): Promise<Uint8Array> {
  let at = 0;
  for (const c of batch) {
    body.write(c.id, at, 32, 'hex');
    body.writeUInt32BE(c.length, at + 32);
    const { bytesRead } = await (await handle(c.absPath)).read(body, at + FRAME_HEADER_BYTES, c.length, c.offset);
    if (bytesRead !== c.length) throw new Error(`${c.absPath} changed during the push (short read at byte ${c.offset})`);
    at += FRAME_HEADER_BYTES + c.length;
  }
  return body;
}
