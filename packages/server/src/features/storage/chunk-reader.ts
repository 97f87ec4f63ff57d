import { createHash } from 'node:crypto';
import { ConflictError, isStewardError } from '@steward/core';
import type { ObjectStore } from '../../storage/object-store.ts';
import { decodeChunk, decodeChunkInto } from './chunk-codec.ts';
import { locate, type ChunkLocation } from './chunk-index.ts';
import { packKey } from './pack-key.ts';
import type { Lease, RunBuffers } from './run-buffers.ts';
import { Sha256Job } from './sha256-worker.ts';
import type { StorageDb } from './storage.tables.ts';

/** One getRange covers at most this many stored bytes (memory bound per reader). */
const MAX_RUN = 8 * 1024 * 1024;

/** One buffer of the whole stream; a single piece is returned as is (no copy). */
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Group chunks that sit back to back in the same pack, so each group is one ranged read of at most `maxRun` bytes. */
function runs(locs: ChunkLocation[], maxRun = MAX_RUN): ChunkLocation[][] {
  const out: ChunkLocation[][] = [];
  let cur: ChunkLocation[] = [];
  let end = -1;
  let bytes = 0;
  for (const l of locs) {
    const prev = cur[cur.length - 1];
    if (prev && prev.pack_id === l.pack_id && l.pack_offset === end && bytes + l.stored_length <= maxRun) {
      cur.push(l);
    } else {
      if (cur.length) out.push(cur);
      cur = [l];
      bytes = 0;
    }
    end = l.pack_offset + l.stored_length;
    bytes += l.stored_length;
  }
  if (cur.length) out.push(cur);
  return out;
}

async function readRun(objects: ObjectStore, run: ChunkLocation[], decode: boolean): Promise<Buffer[]> {
  const first = run[0]!;
  const buf = await readAll(await objects.getRange(packKey(first.pack_id), first.pack_offset, first.pack_offset + runLength(run) - 1));
  return storedChunks(run, buf).map((c) => (decode ? decodeChunk(c.bytes, c.compression, c.raw_length) : c.bytes));
}

/** Stored bytes a run spans, from its first chunk's offset to its last chunk's end. */
function runLength(run: ChunkLocation[]): number {
  const last = run[run.length - 1]!;
  return last.pack_offset + last.stored_length - run[0]!.pack_offset;
}

/** Each chunk of `run` as stored, cut from `buf`, which holds the run from its first chunk's offset. */
function storedChunks(run: ChunkLocation[], buf: Buffer): StoredChunk[] {
  const base = run[0]!.pack_offset;
  return run.map((l) => ({ bytes: buf.subarray(l.pack_offset - base, l.pack_offset - base + l.stored_length), compression: l.compression, raw_length: l.raw_length }));
}

/** The index locations of `ids`, in order; a chunk missing from `where` is a bug of the caller. */
function locationsOf(ids: readonly string[], where: Map<string, ChunkLocation>): ChunkLocation[] {
  return ids.map((id) => {
    const l = where.get(id);
    if (!l) throw new Error(`chunk ${id} is not in the index`);
    return l;
  });
}

const isMoved = (err: unknown) => isStewardError(err) && (err.code === 'object_not_found' || err.code === 'range_not_satisfiable');

export interface ReadChunk {
  id: string;
  bytes: Buffer;
  /** How `bytes` are encoded: always 'none' unless read with `stored`. */
  compression: string;
  rawLength: number;
  /**
   * Only when read with `buffers`: `bytes` may lie in a lent buffer; call this once nothing reads
   * them any more (the socket wrote them), so the buffer can hold another run. Calling it twice is
   * harmless; never calling it only costs the reuse.
   */
  done?: () => void;
}

type StoredChunk = { bytes: Buffer; compression: string; raw_length: number };
type ReadRun = { out: StoredChunk[]; lease?: Lease };

/** `chunk`, holding one more reference on `lease` until its `done`. */
function lent(chunk: ReadChunk, lease: Lease | undefined): ReadChunk {
  if (!lease) return chunk;
  lease.retain();
  let held = true;
  return {
    ...chunk,
    done: () => {
      if (held) lease.release();
      held = false;
    },
  };
}

/**
 * Raw bytes of `ids`, in order (repeats allowed), with batched ranged reads. GC may repack a
 * chunk between our lookup and our read; then the old pack is gone, so we look the run up again
 * once and read it from its new home. With `stored`, bytes come as they sit in the pack
 * (possibly zstd), for answers that ship them without decompressing.
 */
export async function* readChunks(
  db: StorageDb,
  objects: ObjectStore,
  ids: readonly string[],
  known?: Map<string, ChunkLocation>,
  opts: { stored?: boolean; buffers?: RunBuffers } = {},
): AsyncGenerator<ReadChunk> {
  const window = 2048; // ids looked up per query round
  const decode = !opts.stored;
  const buffers = objects.readInto ? opts.buffers : undefined;
  let last: ReadChunk | undefined;
  let hold: Lease | undefined; // our own reference on the buffer `last` lies in
  let next: Promise<ReadRun> | null = null;
  try {
    for (let i = 0; i < ids.length; i += window) {
      const part = ids.slice(i, i + window);
      const all = runs(locationsOf(part, known ?? (await locate(db, part))), buffers?.size);
      // A run of one chunk equal to the chunk just before it (zero pages, padding) needs no read.
      const prevId = (r: number) => (r === 0 ? last?.id : all[r - 1]![all[r - 1]!.length - 1]!.id);
      const repeat = (r: number) => all[r]!.length === 1 && all[r]![0]!.id === prevId(r);
      // Read one run ahead, so the next ranged read overlaps sending this one.
      const fetchRun = (r: number) => {
        if (r >= all.length || repeat(r)) return null;
        const p = buffers ? readRunLent(db, objects, all[r]!, decode, buffers) : readRunRetrying(db, objects, all[r]!, decode).then((out) => ({ out }));
        p.catch(() => undefined); // awaited below
        return p;
      };
      next = fetchRun(0);
      for (let r = 0; r < all.length; r++) {
        const run = all[r]!;
        const current = next;
        next = fetchRun(r + 1);
        if (!current) {
          yield lent(last!, hold);
          continue;
        }
        const { out, lease } = await current;
        hold?.release();
        hold = lease;
        for (let k = 0; k < run.length; k++) {
          const l = out[k]!;
          last = { id: run[k]!.id, bytes: l.bytes, compression: decode ? 'none' : l.compression, rawLength: l.raw_length };
          yield lent(last, hold);
        }
      }
    }
  } finally {
    hold?.release();
    // A run read ahead that nobody will take (the answer was cut short): its buffer goes back once read.
    next?.then((r) => r.lease?.release(), () => undefined);
  }
}

/** A run read into a lent buffer (filesystem stores); a run GC moved meanwhile is re-read the usual way. */
async function readRunLent(db: StorageDb, objects: ObjectStore, run: ChunkLocation[], decode: boolean, buffers: RunBuffers): Promise<ReadRun> {
  const first = run[0]!;
  const length = runLength(run);
  if (length > buffers.size) return { out: await readRunRetrying(db, objects, run, decode) };
  const lease = buffers.lend();
  try {
    const buf = lease.buf.subarray(0, length);
    await objects.readInto!(packKey(first.pack_id), first.pack_offset, buf);
    const out = storedChunks(run, buf).map((c) => (decode ? { ...c, bytes: decodeChunk(c.bytes, c.compression, c.raw_length) } : c));
    return { out, lease };
  } catch (err) {
    lease.release();
    if (!isMoved(err)) throw err;
    return { out: await readRunRetrying(db, objects, run, decode) };
  }
}

/** Files smaller than this are hashed on the calling thread (no worker round trips). */
const HASH_ON_WORKER_FROM = 4 * 1024 * 1024;

/**
 * SHA-256 (hex) of the raw bytes of `ids`, in order: the digest check before a recipe commits.
 * Files under 4 MiB are hashed on this thread; larger ones as in hashLocated.
 */
export async function hashChunks(db: StorageDb, objects: ObjectStore, ids: readonly string[], where: Map<string, ChunkLocation>): Promise<string> {
  const raw = ids.reduce((n, id) => n + (where.get(id)?.raw_length ?? 0), 0);
  return hashLocated(db, objects, [locationsOf(ids, where)], { inline: raw < HASH_ON_WORKER_FROM });
}

/**
 * SHA-256 (hex) of each recipe in `recipes` (lists of chunk ids, all located in `where`), in
 * order. Files of HASH_ON_WORKER_FROM or more go through hashChunks (hashed on the worker, as a
 * single recipe is); the smaller ones in one pass of batched reads over all of them, on this
 * thread: a push's small files were uploaded together, so their chunks sit side by side in a few
 * packs, and a pass per file opened and read those packs once per file.
 */
export async function recipeDigests(db: StorageDb, objects: ObjectStore, recipes: readonly (readonly string[])[], where: Map<string, ChunkLocation>): Promise<string[]> {
  const out: string[] = [];
  const small: number[] = [];
  for (const [i, ids] of recipes.entries()) {
    if (ids.reduce((n, id) => n + (where.get(id)?.raw_length ?? 0), 0) >= HASH_ON_WORKER_FROM) out[i] = await hashChunks(db, objects, ids, where);
    else small.push(i);
  }
  let k = 0; // the small recipe being hashed
  let left = 0; // its chunks still to come
  let hash = createHash('sha256');
  const next = () => {
    for (; k < small.length && recipes[small[k]!]!.length === 0; k++) out[small[k]!] = createHash('sha256').digest('hex'); // an empty file
    left = k < small.length ? recipes[small[k]!]!.length : 0;
  };
  next();
  for await (const c of readChunks(db, objects, small.flatMap((i) => recipes[i]!), where)) {
    hash.update(c.bytes);
    if (--left > 0) continue;
    out[small[k++]!] = hash.digest('hex');
    hash = createHash('sha256');
    next();
  }
  return out;
}

/**
 * SHA-256 (hex) of the raw bytes of the chunks at `windows` (each a list of index locations, in
 * file order), taking each window as it comes: a recipe check that waits for chunks still being
 * uploaded (RecipeCheck) hands over one window at a time. With a store that reads into a buffer
 * (filesystem), runs are read into a few reused 8 MiB buffers that go to a worker thread to be
 * hashed, while this thread reads (and decodes) the next runs: hashing a 256 MiB file takes ~150
 * ms of SHA-256 alone, and on this thread the reads and zstd decoding waited for it. A run GC
 * moved meanwhile is re-read the usual way; it is hashed only once it was read whole, so nothing
 * is hashed twice.
 */
export async function hashLocated(
  db: StorageDb,
  objects: ObjectStore,
  windows: Iterable<ChunkLocation[]> | AsyncIterable<ChunkLocation[]>,
  opts: { inline?: boolean; buffers?: number } = {},
): Promise<string> {
  const readInto = objects.readInto?.bind(objects);
  if (!readInto || opts.inline) {
    const h = createHash('sha256');
    for await (const locs of windows) {
      for await (const c of readChunks(db, objects, locs.map((l) => l.id), new Map(locs.map((l) => [l.id, l])))) h.update(c.bytes);
    }
    return h.digest('hex');
  }
  // Made at the first run: a check waiting for its first window holds no buffers (and no worker reference).
  let job_: Sha256Job | undefined;
  const theJob = () => (job_ ??= new Sha256Job(MAX_RUN, opts.buffers));
  try {
    // Bytes of runs holding zstd chunks are decoded into `out`, which is sent once full.
    let out: Buffer | null = null;
    let outLength = 0;
    const sendOut = () => {
      if (out) theJob().update(out, outLength);
      out = null;
      outLength = 0;
    };
    for await (const locs of windows) {
      for (const run of runs(locs)) {
        const job = theJob();
        const buf = await job.buffer();
        const length = runLength(run);
        let chunks: StoredChunk[];
        let inBuf = true;
        try {
          await readInto(packKey(run[0]!.pack_id), run[0]!.pack_offset, buf.subarray(0, length));
          chunks = storedChunks(run, buf);
        } catch (err) {
          job.giveBack(buf);
          if (!isMoved(err)) throw err;
          chunks = await readRunRetrying(db, objects, run, false);
          inBuf = false;
        }
        if (inBuf && chunks.every((c) => c.compression !== 'zstd')) {
          // Raw chunks back to back: the stored run is the raw bytes.
          sendOut();
          job.update(buf, length);
          continue;
        }
        for (const c of chunks) {
          if (out && outLength + c.raw_length > out.length) sendOut();
          out ??= await job.buffer();
          if (c.compression === 'zstd') decodeChunkInto(c.bytes, c.compression, c.raw_length, out.subarray(outLength));
          else out.set(decodeChunk(c.bytes, c.compression, c.raw_length), outLength);
          outLength += c.raw_length;
        }
        if (inBuf) job.giveBack(buf);
      }
    }
    sendOut();
    return await theJob().digest();
  } finally {
    job_?.close();
  }
}

/**
 * GC may repack a chunk between our lookup and our read (the old pack is then deleted), possibly
 * more than once on a slow read; look the run up again and retry. A chunk that is gone from the
 * index was swept as garbage: only possible for chunks no blob references yet (a recipe being
 * verified past the grace period), reported as 409 chunk_missing, never as corruption.
 */
async function readRunRetrying(db: StorageDb, objects: ObjectStore, run: ChunkLocation[], decode: boolean): Promise<StoredChunk[]> {
  let locs = run;
  for (let attempt = 0; ; attempt++) {
    try {
      const out: StoredChunk[] = [];
      for (const r of runs(locs)) {
        const bytes = await readRun(objects, r, decode);
        r.forEach((l, k) => out.push({ bytes: bytes[k]!, compression: l.compression, raw_length: l.raw_length }));
      }
      return out;
    } catch (err) {
      if (!isMoved(err) || attempt >= 3) throw err;
      const fresh = await locate(db, run.map((l) => l.id));
      const gone = run.filter((l) => !fresh.has(l.id)).map((l) => l.id);
      if (gone.length) throw new ConflictError(`${gone.length} chunk(s) were garbage-collected during the request; upload them again`, { missing: gone }, 'chunk_missing');
      locs = run.map((l) => fresh.get(l.id)!);
    }
  }
}
