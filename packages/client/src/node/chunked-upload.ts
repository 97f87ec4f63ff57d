import { open, type FileHandle } from 'node:fs/promises';
import { MAX_BATCH_FRAMES } from '@steward/core';
import { batchBySize, FRAME_HEADER_BYTES } from '../api/chunk-frames.ts';
import type { StewardClient } from '../client.ts';
import { StewardApiError } from '../errors.ts';
import type { FileChunk } from './chunk-scan.ts';
import type { FileRecipe } from './chunk-file.ts';
import { withRetry, type RetryOptions } from './retry.ts';

export interface ChunkedUploadOptions {
  /** Bytes per `POST /chunks` request (frames included); ≤ 64 MiB. Default 8 MiB (memory is concurrency × this). */
  batchBytes?: number;
  /** Requests in flight (2–4 keeps a link busy without holding much memory). Default 2. */
  concurrency?: number;
  retry?: RetryOptions;
  /** Cumulative chunk bytes acknowledged by the server, the bytes queued so far, and the file of the last batch. */
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

/** Most ids per `POST /chunks/missing` (the server's limit). */
const MISSING_BATCH = 10_000;

/**
 * Streaming chunk upload: `add` a file's chunks as soon as the chunker has them, and this asks
 * the server which it lacks and sends those in framed batches (several in flight, each retried
 * with back-off) while the chunker goes on. Chunks the server already has are never read or sent,
 * which is also what makes an interrupted push resume for free. Memory is `concurrency ×
 * batchBytes` of request bodies (read from disk straight into a reused buffer per lane) plus the
 * chunk list; nothing waits in memory for the server.
 */
export class ChunkUploader {
  readonly #client: StewardClient;
  readonly #batchBytes: number;
  readonly #opts: ChunkedUploadOptions;
  readonly #byId = new Map<string, Located>();
  /** Ids not yet asked about. */
  #toAsk: string[] = [];
  #asking: Promise<void> | null = null;
  /** Chunks the server lacks, not yet taken by a lane (in file order). */
  #toSend: Located[] = [];
  #toSendBytes = 0;
  #queuedBytes = 0;
  #sent = 0;
  #chunksUploaded = 0;
  #closed = false;
  /** Lanes sending a batch now. */
  #inFlight = 0;
  #failed: unknown;
  #waiters: (() => void)[] = [];
  readonly #lanes: Promise<void>[];
  readonly #handles = new Map<string, Promise<FileHandle>>();

  constructor(client: StewardClient, opts: ChunkedUploadOptions = {}) {
    this.#client = client;
    this.#opts = opts;
    this.#batchBytes = Math.min(opts.batchBytes ?? 8 << 20, 64 << 20);
    this.#lanes = Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, () => this.#lane());
    this.#lanes.forEach((l) => l.catch(() => undefined)); // surfaced by finish()
  }

  /** A file's chunks (final ones, in file order). Ids seen before in this upload are skipped. */
  add(absPath: string, chunks: readonly FileChunk[]): void {
    if (this.#closed) throw new Error('ChunkUploader: add() after finish()');
    for (const c of chunks) {
      if (this.#byId.has(c.id)) continue;
      this.#byId.set(c.id, { ...c, absPath });
      this.#toAsk.push(c.id);
    }
    this.#ask();
  }

  /** No more chunks: resolves once every chunk the server lacked is stored; rejects with the first failure. */
  async finish(): Promise<ChunkedUploadStats> {
    this.#closed = true;
    this.#wake();
    try {
      const results = await Promise.allSettled([...this.#lanes, this.#asking ?? Promise.resolve()]);
      if (this.#failed !== undefined) throw this.#failed;
      const bad = results.find((r) => r.status === 'rejected');
      if (bad) throw bad.reason;
    } finally {
      await this.#closeFiles();
    }
    return { chunks: this.#byId.size, chunksUploaded: this.#chunksUploaded, uploadedBytes: this.#sent };
  }

  /** Stops taking batches (a request in flight still completes), e.g. when chunking failed. */
  async abort(reason: unknown): Promise<void> {
    this.#fail(reason);
    await this.finish().catch(() => undefined);
  }

  /**
   * `PUT /blobs/{sha}/recipe` once every chunk is stored (after finish). Chunks collected by GC
   * since the server said it had them (409 chunk_missing) are sent again, once.
   */
  async putRecipe(recipe: FileRecipe): Promise<void> {
    const body = { size: recipe.size, chunks: recipe.chunks.map((c) => c.id) };
    await this.declare(() => this.#client.chunks.putRecipe(recipe.sha256, body));
  }

  /**
   * `POST /blobs/recipes` for several files at once (after finish), each created or found stored:
   * digest → created. Chunks swept since (409 chunk_missing) are sent again, once.
   */
  async putRecipes(recipes: readonly FileRecipe[]): Promise<Map<string, boolean>> {
    const body = recipes.map((r) => ({ sha256: r.sha256, size: r.size, chunks: r.chunks.map((c) => c.id) }));
    const { results } = await this.declare(() => this.#client.chunks.putRecipes(body));
    const out = new Map<string, boolean>();
    for (const r of results) out.set(r.sha256, (out.get(r.sha256) ?? false) || r.created);
    return out;
  }

  /** Runs a recipe declaration (retried); on 409 chunk_missing sends the chunks it names again and declares once more. */
  async declare<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(call, this.#opts.retry);
    } catch (err) {
      const again = err instanceof StewardApiError && err.code === 'chunk_missing' ? (err.details?.missing as string[] | undefined) : undefined;
      if (!again) throw err;
      const chunks = again.map((id) => this.#byId.get(id)).filter((c): c is Located => c !== undefined);
      const scratch = Buffer.allocUnsafe(this.#batchBytes);
      try {
        for (const batch of batchBySize(chunks, (c) => c.length, this.#batchBytes)) await this.#send(batch, scratch);
      } finally {
        await this.#closeFiles();
      }
      return withRetry(call, this.#opts.retry);
    }
  }

  /** One asker at a time: ids that arrive meanwhile go in the next question, so questions grow with the backlog. */
  #ask(): void {
    if (this.#asking || this.#toAsk.length === 0 || this.#failed !== undefined) return;
    const ids = this.#toAsk.splice(0, MISSING_BATCH);
    this.#asking = (async () => {
      try {
        const { missing } = await withRetry(() => this.#client.chunks.missing(ids), this.#opts.retry);
        for (const id of missing) {
          const c = this.#byId.get(id)!;
          this.#toSend.push(c);
          this.#toSendBytes += c.length;
          this.#queuedBytes += c.length;
        }
      } catch (err) {
        this.#fail(err);
      } finally {
        this.#asking = null;
        this.#ask();
        this.#wake();
      }
    })();
  }

  /** Everything asked and answered, and no more chunks coming. */
  get #drained(): boolean {
    return this.#closed && !this.#asking && this.#toAsk.length === 0;
  }

  async #lane(): Promise<void> {
    // One body buffer per lane, reused: a fresh 8 MiB buffer per batch left ~100 MiB of dead
    // buffers waiting for GC in a 4 GiB push. Safe: a batch's request has ended (its body fully
    // sent) before the lane reads the next batch into the buffer.
    let scratch: Buffer | undefined;
    for (;;) {
      // A full batch; or whatever is queued when no request is in flight (waiting for a full batch
      // would hold back a fine-tune's few new chunks, and the server's recipe check waiting for
      // them, until chunking ends); or whatever is left once nothing more can come.
      while (this.#failed === undefined && this.#toSendBytes < this.#batchBytes && !(this.#toSend.length > 0 && (this.#drained || this.#inFlight === 0))) {
        if (this.#drained) return;
        await new Promise<void>((r) => this.#waiters.push(r));
      }
      if (this.#failed !== undefined) return;
      const batch = this.#take();
      scratch ??= Buffer.allocUnsafe(this.#batchBytes);
      this.#inFlight++;
      try {
        await this.#send(batch, scratch);
      } catch (err) {
        this.#fail(err);
        throw err;
      } finally {
        this.#inFlight--;
      }
    }
  }

  /** Takes chunks off the queue up to one batch (always at least one). */
  #take(): Located[] {
    let n = 0;
    let bytes = 0;
    while (n < this.#toSend.length && n < MAX_BATCH_FRAMES && (n === 0 || bytes + FRAME_HEADER_BYTES + this.#toSend[n]!.length <= this.#batchBytes)) {
      bytes += FRAME_HEADER_BYTES + this.#toSend[n]!.length;
      n++;
    }
    const batch = this.#toSend.splice(0, n);
    for (const c of batch) this.#toSendBytes -= c.length;
    return batch;
  }

  async #send(batch: Located[], scratch: Buffer): Promise<void> {
    const size = batch.reduce((n, c) => n + FRAME_HEADER_BYTES + c.length, 0);
    const buf = scratch.length >= size ? scratch : Buffer.allocUnsafe(size);
    const body = await readBatch(batch, (p) => this.#handle(p), buf.subarray(0, size));
    await withRetry(() => this.#client.chunks.upload(body), this.#opts.retry);
    for (const c of batch) this.#sent += c.length;
    this.#chunksUploaded += batch.length;
    this.#opts.onBytes?.(this.#sent, Math.max(this.#queuedBytes, this.#sent), batch.at(-1)!.absPath);
  }

  #fail(err: unknown): void {
    if (this.#failed === undefined) this.#failed = err;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const r of w) r();
  }

  #handle(p: string): Promise<FileHandle> {
    let h = this.#handles.get(p);
    if (!h) this.#handles.set(p, (h = open(p, 'r')));
    return h;
  }

  async #closeFiles(): Promise<void> {
    const all = [...this.#handles.values()];
    this.#handles.clear();
    await Promise.all(all.map((h) => h.then((fh) => fh.close(), () => undefined)));
  }
}

/**
 * Builds one request body in `body` (exactly its size), reading each chunk from disk directly into
 * its frame. Chunks that follow each other in the same file (the usual case: a batch is a run of
 * new chunks in file order) are read with one readv into their frames' payload slots: a
 * FileHandle.read per 64 KiB chunk cost several times the CPU of one call per run.
 */
async function readBatch(batch: Located[], handle: (p: string) => Promise<FileHandle>, body: Buffer): Promise<Uint8Array> {
  let at = 0;
  let run: { path: string; from: number; slots: Buffer[]; bytes: number } | undefined;
  const readRun = async () => {
    if (!run) return;
    const fh = await handle(run.path);
    let slots = run.slots;
    for (let done = 0; done < run.bytes; ) {
      const { bytesRead } = await fh.readv(slots, run.from + done);
      if (bytesRead === 0) throw new Error(`${run.path} changed during the push (short read at byte ${run.from + done})`);
      done += bytesRead;
      slots = unfilled(slots, bytesRead); // a readv may stop early; go on from where it did
    }
    run = undefined;
  };
  for (const c of batch) {
    body.write(c.id, at, 32, 'hex');
    body.writeUInt32BE(c.length, at + 32);
    const slot = body.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + c.length);
    if (run && (run.path !== c.absPath || run.from + run.bytes !== c.offset || run.slots.length >= READV_SLOTS)) await readRun();
    if (!run) run = { path: c.absPath, from: c.offset, slots: [], bytes: 0 };
    run.slots.push(slot);
    run.bytes += c.length;
    at += FRAME_HEADER_BYTES + c.length;
  }
  await readRun();
  return body;
}

/** `slots` less their first `n` bytes. */
function unfilled(slots: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of slots) {
    if (n >= b.length) n -= b.length;
    else {
      out.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return out;
}

/** Buffers per readv, under every platform's IOV_MAX. */
const READV_SLOTS = 256;
