import { createHash, randomBytes } from 'node:crypto';
import { open, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DigestMismatchError } from '@steward/core';
import { Decompressor } from 'zstd-napi';
import { batchBySize, type ChunkFrame } from '../api/chunk-frames.ts';
import type { BlobRecipe } from '../api/chunks.ts';
import type { StewardClient } from '../client.ts';
import { StewardApiError } from '../errors.ts';
import type { FileEntry } from '../types.ts';
import type { ChunkCache, ChunkReader, SegmentWriter } from './chunk-cache.ts';
import { withRetry, type RetryOptions } from './retry.ts';
import { singleZstdFrameSize } from './zstd-frame.ts';

/** What a pull would transfer given the local cache. */
export interface FetchPlan {
  /** Recipe per file (null: the server has none, the file comes whole). */
  recipes: Map<string, BlobRecipe | null>;
  /** Distinct chunks to fetch, in first-use order. */
  fetch: { id: string; size: number }[];
  fetchBytes: number;
  /** Distinct chunks found in the cache. */
  cachedChunks: number;
  cachedBytes: number;
  /** Bytes of files without a recipe (downloaded whole). */
  wholeBytes: number;
}

/** Recipe of a blob, or null when the server has no chunk API or no recipe for it. */
export async function recipeOrNull(client: StewardClient, sha256: string): Promise<BlobRecipe | null> {
  try {
    return await client.chunks.recipe(sha256);
  } catch (err) {
    if (err instanceof StewardApiError && (err.status === 404 || err.status === 405)) return null;
    throw err;
  }
}

/** Reads the recipes of `files` and checks the cache: no chunk bytes move. */
export async function planFetch(client: StewardClient, files: FileEntry[], cache: ChunkCache): Promise<FetchPlan> {
  const plan: FetchPlan = { recipes: new Map(), fetch: [], fetchBytes: 0, cachedChunks: 0, cachedBytes: 0, wholeBytes: 0 };
  const seen = new Set<string>();
  for (const f of files) {
    if (plan.recipes.has(f.sha256)) continue;
    const recipe = await withRetry(() => recipeOrNull(client, f.sha256));
    plan.recipes.set(f.sha256, recipe);
    if (!recipe) {
      plan.wholeBytes += f.size;
      continue;
    }
    const cached = await cache.hasMany(recipe.chunks.filter((c) => !seen.has(c.id)).map((c) => c.id));
    for (const c of recipe.chunks) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      if (cached.has(c.id)) {
        plan.cachedChunks++;
        plan.cachedBytes += c.size;
      } else {
        plan.fetch.push(c);
        plan.fetchBytes += c.size;
      }
    }
  }
  return plan;
}

export interface FetchOptions {
  /** Ask for compressed frames (default true); false gets raw frames as old clients do. */
  compress?: boolean;
  /** Per chunk id, cached chunks holding the old bytes at its place (see alignedBases). */
  bases?: Map<string, string[]>;
  /** Per chunk id, the bytes of its bases (to keep a request under the server's limit). */
  baseBytes?: Map<string, number>;
  /** Bytes per `POST /chunks/fetch` answer (≤ 64 MiB). Default 16 MiB. */
  batchBytes?: number;
  /** Requests in flight. Default 2. */
  concurrency?: number;
  retry?: RetryOptions;
  /** Cumulative chunk bytes received. */
  onBytes?: (received: number) => void;
}

/**
 * Fetches chunks into the cache in batches; each is verified against its id before it is
 * cached. A batch that fails mid-way is retried whole; chunks it already cached stay cached,
 * which is also what makes an interrupted pull resume without refetching.
 */
export async function fetchIntoCache(client: StewardClient, cache: ChunkCache, chunks: { id: string; size: number }[], opts: FetchOptions = {}): Promise<{ wireBytes: number }> {
  const batches = batchBySize(chunks, (c) => c.size, Math.min(opts.batchBytes ?? 16 << 20, 64 << 20));
  const encoding = opts.compress === false ? undefined : ('zstd' as const);
  let useBases = encoding !== undefined && (opts.bases?.size ?? 0) > 0;
  let received = 0;
  let wireBytes = 0;
  let next = 0;
  let failed = false; // once a lane gives up, the others stop taking batches
  const baseReader = useBases ? cache.reader() : undefined; // keeps the bases' segments open across frames
  const lane = async (): Promise<void> => {
    while (next < batches.length && !failed) {
      const batch = batches[next++]!;
      await withRetry(async () => {
        const want = new Set(batch.map((c) => c.id));
        const ids: string[] = [];
        const cached = await cache.hasMany(batch.map((c) => c.id)); // a retried batch asks only for the rest
        for (const c of batch) if (!cached.has(c.id)) ids.push(c.id);
        if (ids.length === 0) return;
        const bases = useBases ? basesWithin(ids, opts.bases!, opts.baseBytes) : undefined;
        const basesOf = new Map(bases ? ids.map((id, i) => [id, bases[i]!]) : []);
        // One segment per attempt at a batch. Chunks are written into it in the background,
        // PUTS_IN_FLIGHT at a time, while the next frames arrive and decode; whatever was written
        // is committed even when the batch fails, so a retry (or a resumed pull) asks for the rest.
        let segment: Promise<SegmentWriter> | undefined;
        const puts = new Set<Promise<void>>();
        let putFailed: unknown;
        const onFrame = async (f: ChunkFrame) => {
          if (!want.has(f.id)) throw new DigestMismatchError(`server sent chunk ${f.id} that was not asked for`, { id: f.id });
          const bytes = await decodeFrame(f, basesOf.get(f.id), baseReader).catch((err: unknown) => {
            if (err instanceof BaseGoneError) useBases = false; // the retry asks without bases
            throw err;
          });
          if (puts.size >= PUTS_IN_FLIGHT) await Promise.race(puts);
          if (putFailed) throw putFailed;
          const put: Promise<void> = (segment ??= cache.writer())
            .then((w) => w.add(f.id, bytes))
            .then(
              () => {
                received += bytes.length;
                opts.onBytes?.(received);
              },
              (err: unknown) => {
                putFailed ??= err instanceof DigestMismatchError ? new DigestMismatchError(`chunk ${f.id} from the server does not hash to its id`, { id: f.id }) : err;
              },
            )
            .finally(() => puts.delete(put));
          puts.add(put);
        };
        try {
          // Counted as it arrives, so a batch cut mid-way and retried counts twice, as on the wire.
          await client.chunks.fetch(ids, onFrame, { encoding, bases, onBody: (n) => (wireBytes += n) });
        } finally {
          await Promise.all(puts); // never rejects; nothing may still write once the batch settles
          if (segment) await (await segment).commit();
        }
        if (putFailed) throw putFailed;
      }, opts.retry).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  // allSettled: return only when no lane is still writing into the cache.
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, lane));
  await baseReader?.close();
  const bad = results.find((r) => r.status === 'rejected');
  if (bad) throw bad.reason;
  return { wireBytes };
}

/** Chunks being written into the cache per fetch lane (at most 8 × 256 KiB held). */
const PUTS_IN_FLIGHT = 8;

/**
 * The server takes at most 128 MiB of base bytes per request; we send at most 96 MiB (a base of
 * unknown size counts as the 256 KiB maximum). Chunks past that come without bases, which costs
 * bytes, never correctness.
 */
const MAX_REQUEST_BASE_BYTES = 96 * 1024 * 1024;
function basesWithin(ids: string[], all: Map<string, string[]>, bytes?: Map<string, number>): string[][] {
  let left = MAX_REQUEST_BASE_BYTES;
  return ids.map((id) => {
    const b = all.get(id) ?? [];
    const n = bytes?.get(id) ?? b.length * 256 * 1024;
    if (n > left) return [];
    left -= n;
    return b;
  });
}

/** A base chunk was evicted from the cache between planning and decoding (another process trimmed it). */
class BaseGoneError extends Error {}

const decompressor = new Decompressor();
const dictDecompressor = new Decompressor();

/** A chunk is at most 256 KiB; anything claiming more is refused before allocating it. */
const MAX_CHUNK = 256 * 1024;

/** The chunk bytes of a frame: as sent, or zstd-decoded (with its bases as dictionary). Not yet verified. */
async function decodeFrame(f: ChunkFrame, bases: string[] | undefined, reader: ChunkReader | undefined): Promise<Uint8Array> {
  if (f.encoding === undefined || f.encoding === 'raw') return f.bytes;
  const size = singleZstdFrameSize(f.bytes);
  if (size === null || size > MAX_CHUNK) throw new DigestMismatchError(`chunk ${f.id}: expected one zstd frame declaring at most ${MAX_CHUNK} bytes, got ${size === null ? 'something else' : `${size} bytes`}`, { id: f.id });
  if (f.encoding === 'zstd') return decompressor.decompress(f.bytes);
  if (!bases?.length || !reader) throw new DigestMismatchError(`chunk ${f.id} came encoded against bases that were not asked for`, { id: f.id });
  const parts: Buffer[] = [];
  for (const b of bases) {
    const bytes = await reader.read(b); // verified: a damaged base is a gone one, and the retry asks without bases
    if (!bytes) throw new BaseGoneError(`base chunk ${b} left the cache during the pull`);
    parts.push(bytes);
  }
  dictDecompressor.setParameters({}); // drops the previous dictionary
  dictDecompressor.loadDictionary(Buffer.concat(parts));
  return dictDecompressor.decompress(f.bytes);
}

/** Cache reads in flight ahead of the one being written (at most 16 × 256 KiB held). */
const READ_AHEAD = 16;
/** Rebuilt bytes gathered per write. */
const WRITE_BYTES = 1 << 20;

/**
 * Writes `file` at `target` from cached chunks: into a temp file beside it, hashed on the way,
 * checked against the (signed) manifest digest and size, then renamed into place. A chunk gone
 * from the cache meanwhile (another process trimmed it) is fetched again.
 *
 * Cached chunks were verified when they were cached, and the file digest covers them all, so
 * the rebuild reads them without hashing each one again. Only when the file then fails its
 * digest (a cache file damaged on disk) is every chunk checked, damaged segments dropped, what
 * is missing fetched, and the file rebuilt once more.
 */
export async function assembleFile(
  client: StewardClient,
  cache: ChunkCache,
  file: FileEntry,
  recipe: BlobRecipe,
  target: string,
  onBytes?: (written: number) => void,
): Promise<void> {
  const job: RebuildJob = { client, cache, file, recipe, target, onBytes };
  try {
    await rebuild(job);
  } catch (err) {
    if (!(err instanceof DigestMismatchError)) throw err;
    const missing = new Set(await cache.check(recipe.chunks.map((c) => c.id)));
    if (missing.size > 0) await fetchIntoCache(client, cache, recipe.chunks.filter((c) => missing.delete(c.id)));
    await rebuild(job);
  }
}

interface RebuildJob {
  client: StewardClient;
  cache: ChunkCache;
  file: FileEntry;
  recipe: BlobRecipe;
  target: string;
  onBytes?: ((written: number) => void) | undefined;
}

async function rebuild({ client, cache, file, recipe, target, onBytes }: RebuildJob): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.steward-part`);
  const fh = await open(tmp, 'wx');
  const reader = cache.reader();
  // Cache reads run READ_AHEAD chunks ahead and writes go out ~1 MiB at a time: one chunk at a
  // time, each read and write waited for its own round trip to libuv's pool.
  const chunks = recipe.chunks;
  const reads: (Promise<Buffer | null> | undefined)[] = [];
  const readAt = (i: number) => {
    if (i < chunks.length) reads[i] = reader.read(chunks[i]!.id, { trusted: true }).catch(() => null); // a failed read is a miss
  };
  try {
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const { bytesWritten } = await fh.writev(pending, size - pendingBytes);
      if (bytesWritten !== pendingBytes) throw new Error(`${tmp}: wrote ${bytesWritten} of ${pendingBytes} bytes`);
      pending = [];
      pendingBytes = 0;
    };
    for (let i = 0; i < READ_AHEAD; i++) readAt(i);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      let bytes = await reads[i]!;
      reads[i] = undefined;
      readAt(i + READ_AHEAD);
      if (!bytes || bytes.length !== c.size) {
        await fetchIntoCache(client, cache, [c]);
        bytes = await reader.read(c.id);
        if (!bytes) throw new Error(`chunk ${c.id} vanished from the cache at ${cache.dir} twice`);
      }
      hash.update(bytes);
      pending.push(bytes);
      pendingBytes += bytes.length;
      size += bytes.length;
      if (pendingBytes >= WRITE_BYTES) await flush();
      onBytes?.(size);
    }
    await flush();
    await fh.close();
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256 || size !== file.size) {
      throw new DigestMismatchError(`${file.path}: rebuilt ${size} bytes hashing to ${sha256}, expected ${file.size} bytes ${file.sha256}`, {
        path: file.path,
        expected: file.sha256,
        actual: sha256,
      });
    }
    await rename(tmp, target);
  } catch (err) {
    await Promise.all(reads); // no read may still be running once we return (they never reject)
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await reader.close();
  }
}
