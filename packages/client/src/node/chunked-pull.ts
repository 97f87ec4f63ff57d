import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { DigestMismatchError, MAX_RECIPE_QUERY_BYTES, MAX_RECIPE_QUERY_DIGESTS } from '@steward/core';
import { Decompressor } from 'zstd-napi';
import { batchBySize, type ChunkFrame } from '../api/chunk-frames.ts';
import type { BlobRecipe } from '../api/chunks.ts';
import type { StewardClient } from '../client.ts';
import { isUnknownRoute } from '../errors.ts';
import type { FileEntry } from '../types.ts';
import type { ChunkArrivals } from './chunk-arrivals.ts';
import type { ChunkCache, ChunkReader, SegmentWriter } from './chunk-cache.ts';
import { forEachInFlight } from './in-flight.ts';
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
  /** Of those, the ones installed files seeded (see seedFromInstalled). */
  seededChunks: number;
  seededBytes: number;
  /** Bytes of files without a recipe (downloaded whole). */
  wholeBytes: number;
}

/** Recipe of a blob, or null when the server has no chunk API or no recipe for it. */
export async function recipeOrNull(client: StewardClient, sha256: string): Promise<BlobRecipe | null> {
  try {
    return await client.chunks.recipe(sha256);
  } catch (err) {
    if (isUnknownRoute(err)) return null;
    throw err;
  }
}

/**
 * Reads the recipes of `files` and checks the cache: no chunk bytes move. `seeded`: ids the
 * installed files provide (copied into the cache already, or in a dry run about to be), counted
 * as cached and as seeded.
 */
export async function planFetch(client: StewardClient, files: FileEntry[], cache: ChunkCache, seeded?: ReadonlySet<string>): Promise<FetchPlan> {
  const plan: FetchPlan = { recipes: new Map(), fetch: [], fetchBytes: 0, cachedChunks: 0, cachedBytes: 0, seededChunks: 0, seededBytes: 0, wholeBytes: 0 };
  const seen = new Set<string>();
  const recipes = await recipesOf(client, files);
  for (const f of files) {
    if (plan.recipes.has(f.sha256)) continue;
    const recipe = recipes.get(f.sha256)!;
    plan.recipes.set(f.sha256, recipe);
    if (!recipe) {
      plan.wholeBytes += f.size;
      continue;
    }
    const cached = await cache.hasMany(recipe.chunks.filter((c) => !seen.has(c.id)).map((c) => c.id));
    for (const c of recipe.chunks) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      const fromSeed = seeded?.has(c.id) === true;
      if (fromSeed) {
        plan.seededChunks++;
        plan.seededBytes += c.size;
      }
      if (cached.has(c.id) || fromSeed) {
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

/** Recipe GETs in flight while planning (large files, or a server without the batch query). */
const RECIPES_IN_FLIGHT = 8;
/** Files up to this size have their recipes asked for together (`POST /blobs/recipes/query`), as many as the server takes per request. */
const QUERY_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The recipe (or null) of each file's blob: small files' in `POST /blobs/recipes/query` batches
 * (one request for a thousand files of a model, where a GET each waited a round trip per file),
 * large ones with a GET each, RECIPES_IN_FLIGHT at a time. A server without the batch query gets
 * GETs for all.
 */
async function recipesOf(client: StewardClient, files: readonly FileEntry[]): Promise<Map<string, BlobRecipe | null>> {
  const out = new Map<string, BlobRecipe | null>();
  const sizes = [...new Map(files.map((f) => [f.sha256, f.size]))];
  const alone = sizes.filter(([, size]) => size > QUERY_FILE_BYTES).map(([sha256]) => sha256);
  const groups = batchBySize(sizes.filter(([, size]) => size <= QUERY_FILE_BYTES), ([, size]) => size, MAX_RECIPE_QUERY_BYTES, MAX_RECIPE_QUERY_DIGESTS, 0).map((g) => g.map(([sha256]) => sha256));
  for (const [i, g] of groups.entries()) {
    try {
      const { recipes } = await withRetry(() => client.chunks.recipes(g));
      g.forEach((sha256, k) => out.set(sha256, recipes[k] ?? null));
    } catch (err) {
      if (!isUnknownRoute(err)) throw err;
      for (const rest of groups.slice(i)) alone.push(...rest); // an older server: a GET each
      break;
    }
  }
  await forEachInFlight(alone, RECIPES_IN_FLIGHT, async (sha256) => {
    out.set(sha256, await withRetry(() => recipeOrNull(client, sha256)));
  });
  return out;
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
  /** Called with the ids of each segment once it is committed (its chunks readable from the cache). */
  onCached?: (ids: string[]) => void;
  /** Once aborted, no further batch is asked for (those in flight finish) and the fetch rejects. */
  signal?: AbortSignal;
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
      opts.signal?.throwIfAborted();
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
          if (segment) {
            const ids = await (await segment).commit();
            if (ids.length) opts.onCached?.(ids);
          }
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
/** The same while a fetch is still bringing chunks (see rebuild). */
const READ_AHEAD_FETCHING = 4;
/** Rebuilt bytes gathered per write. */
const WRITE_BYTES = 1 << 20;
/** Files up to this size are gathered whole and written at once (see rebuild). */
const WRITE_AT_ONCE_BYTES = 1 << 20;
/**
 * The rebuild's read ring: at most READ_AHEAD + 1 chunks read (4 MiB + 256 KiB), plus under
 * WRITE_BYTES + a chunk gathered and not yet written, plus a chunk's worth skipped at the wrap,
 * all under 6 MiB.
 */
const RING_BYTES = 8 << 20;

/**
 * Writes `file` at `path` (a new file: the caller renames it into place) from cached chunks,
 * hashed on the way and checked against the (signed) manifest digest and size; on failure `path`
 * is removed. A chunk gone from the cache meanwhile (another process trimmed it) is fetched again.
 *
 * Cached chunks were verified when they were cached, and the file digest covers them all, so
 * the rebuild reads them without hashing each one again. Only when the file then fails its
 * digest (a cache file damaged on disk) is every chunk checked, damaged segments dropped, what
 * is missing fetched, and the file rebuilt once more.
 *
 * With `arrivals` it runs beside the fetch bringing its chunks (see pullVersion), reading each
 * chunk once the segment holding it is committed.
 */
export async function assembleFile(
  client: StewardClient,
  cache: ChunkCache,
  file: FileEntry,
  recipe: BlobRecipe,
  path: string,
  opts: { arrivals?: ChunkArrivals; onBytes?: (written: number) => void; reader?: ChunkReader } = {},
): Promise<void> {
  const job: RebuildJob = { client, cache, file, recipe, path, ...opts };
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
  path: string;
  arrivals?: ChunkArrivals | undefined;
  onBytes?: ((written: number) => void) | undefined;
  /** A reader shared by the files of a pull (its segment handles stay open between files); else one of its own. */
  reader?: ChunkReader | undefined;
}

async function rebuild({ client, cache, file, recipe, path, arrivals, onBytes, reader: shared }: RebuildJob): Promise<void> {
  // A small file is gathered whole and written in one blocking call once its digest matched: an
  // open, a write and a close each waited for a round trip to libuv's pool, ~3 ms a file for a
  // model of 300 small files. Larger ones are written as they are read.
  const fh = file.size <= WRITE_AT_ONCE_BYTES ? undefined : await open(path, 'wx');
  const reader = shared ?? cache.reader();
  // Cache reads run READ_AHEAD chunks ahead and writes go out ~1 MiB at a time: one chunk at a
  // time, each read and write waited for its own round trip to libuv's pool.
  const chunks = recipe.chunks;
  // A chunk the fetch beside us is still bringing is read once its segment is committed; if the
  // fetch fails, the rebuild stops with its error. The read promises never reject: one rejecting
  // ahead of the loop would be an unhandled rejection.
  const reads: (Promise<Buffer | null> | undefined)[] = [];
  let fetchFailed: { err: unknown } | undefined;
  // Chunks are read into one ring buffer, each into the next free stretch, rather than a new
  // buffer each: allocating a file's worth of buffers while a fetch allocates its own set off
  // V8's major garbage collections. What the ring holds at once: the chunks read ahead and
  // those gathered for the next write (see RING_BYTES).
  const ring = Buffer.allocUnsafeSlow(RING_BYTES);
  let ringAt = 0;
  const slot = (size: number): Buffer => {
    if (ringAt + size > RING_BYTES) ringAt = 0;
    return ring.subarray(ringAt, (ringAt += size));
  };
  const readChunk = (id: string, into: Buffer) => reader.read(id, { trusted: true, into, blocking: !fh }).catch(() => null); // a failed read is a miss
  const readAt = (i: number) => {
    if (i >= chunks.length) return;
    const { id, size } = chunks[i]!;
    if (size > MAX_CHUNK) {
      reads[i] = Promise.resolve(null); // a recipe naming a chunk bigger than chunks are: the fetch refuses it
      return;
    }
    const into = slot(size);
    const arrived = arrivals?.wait(id);
    reads[i] = arrived
      ? arrived.then(
          () => readChunk(id, into),
          (err: unknown) => {
            fetchFailed ??= { err };
            return null;
          },
        )
      : readChunk(id, into);
  };
  try {
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0 || !fh) return;
      const { bytesWritten } = await fh.writev(pending, size - pendingBytes);
      if (bytesWritten !== pendingBytes) throw new Error(`${path}: wrote ${bytesWritten} of ${pendingBytes} bytes`);
      pending = [];
      pendingBytes = 0;
    };
    // While the fetch beside us still runs, fewer reads ahead: they share libuv's four threads with
    // its cache writes, and fetched chunks waiting longer for those writes outlive V8's young
    // generation (a 256 MiB pull took ~40 major GCs reading 16 ahead, ~10 reading 4).
    let issued = 0;
    const readAhead = (from: number) => {
      const end = Math.min(chunks.length, from + (arrivals?.fetching ? READ_AHEAD_FETCHING : READ_AHEAD));
      while (issued < end) readAt(issued++);
    };
    readAhead(0);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      let bytes = await reads[i]!;
      if (fetchFailed) throw fetchFailed.err;
      reads[i] = undefined;
      readAhead(i + 1);
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
    await fh?.close();
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256 || size !== file.size) {
      throw new DigestMismatchError(`${file.path}: rebuilt ${size} bytes hashing to ${sha256}, expected ${file.size} bytes ${file.sha256}`, {
        path: file.path,
        expected: file.sha256,
        actual: sha256,
      });
    }
    if (!fh) writeFileSync(path, pending.length === 1 ? pending[0]! : Buffer.concat(pending, size), { flag: 'wx' });
  } catch (err) {
    await Promise.all(reads); // no read may still be running once we return (they never reject)
    await fh?.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  } finally {
    if (!shared) await reader.close();
  }
}
