import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError } from '@steward/core';
import type { StewardClient } from '../client.ts';
import type { FileEntry, Version } from '../types.ts';
import { ChunkArrivals } from './chunk-arrivals.ts';
import { ChunkCache, defaultChunkCacheDir, RECIPES_KEPT } from './chunk-cache.ts';
import type { BlobRecipe } from '../api/chunks.ts';
import { assembleFile, fetchIntoCache, planFetch, type FetchOptions, type FetchPlan } from './chunked-pull.ts';
import { alignedBases, closestRecipe } from './delta-bases.ts';
import { hashFile } from './hash-file.ts';
import { withRetry } from './retry.ts';
import { stewardHome, trustedKey } from './key-pin.ts';
import type { TransferProgress } from './push.ts';
import { safeJoin } from './safe-path.ts';
import { SeedScan } from './seed-installed.ts';
import { collectFiles, type LocalFile } from './collect-files.ts';
import { verifyVersionSignature } from './signature.ts';
import { isStagedTemp, StagedFiles } from './staged-files.ts';

export interface PullOptions {
  model: string;
  /** Semver, `latest` or a channel name. */
  ref: string;
  outDir: string;
  /** Verify the manifest signature against the pinned server key (default true). Digests are always checked. */
  verify?: boolean;
  /** Where the key pins live; default `STEWARD_HOME` or `~/.steward`. */
  home?: string;
  onProgress?: (p: TransferProgress) => void;
  /** Chunk cache directory; default `$STEWARD_HOME/cache/chunks`. */
  cacheDir?: string;
  /** Cache cap in bytes, enforced (LRU) after the pull; default 20 GiB. */
  cacheMaxBytes?: number;
  /** Batch size, requests in flight and retries of chunk fetches. */
  fetch?: Omit<FetchOptions, 'onBytes'>;
  /**
   * Use the files at the targets (another version, being replaced) as seeds when the cache does
   * not cover them: their chunks are copied into the cache, so only what changed is fetched
   * (see seedFromInstalled). Default true.
   */
  seed?: boolean;
  /** More directories whose files may seed the pull (e.g. other installed versions of the model, each in its own directory). */
  seedFrom?: string[];
}

export interface PullResult {
  version: Version;
  downloaded: number;
  /** Files already on disk with the right digest. */
  skipped: number;
  /** Bytes of the files written. */
  bytes: number;
  /** Bytes that crossed the network: fetch answers as received (frames, compressed) plus files downloaded whole. */
  transferredBytes: number;
  /** Distinct chunks fetched / found in the local cache (seeded ones included). */
  chunksFetched: number;
  chunksCached: number;
  /** Of the chunks from the cache, those the installed files held (copied into it, not fetched). */
  chunksSeeded: number;
  seededBytes: number;
}

/** What `pullVersion` would do, without writing anything (`steward pull --dry-run`). */
export interface PullPlan {
  version: Version;
  /** Files to write (absent or different on disk). */
  files: FileEntry[];
  /** Files already there with the right digest. */
  skipped: number;
  plan: FetchPlan;
  /** fetchBytes + wholeBytes: at most this crosses the network (fetch answers come compressed, often smaller). */
  transferBytes: number;
}

/**
 * Downloads a version into `outDir`. With `verify` (default) the manifest signature is checked
 * against the server key pinned on first use, and files come from the signed manifest. Files
 * already on disk with the right digest are skipped. For the rest, only chunks missing from the
 * local chunk cache are fetched (a delta against every version pulled before); each file is
 * rebuilt, while its chunks arrive, into a temp file beside its target, hashed on the way and
 * checked against the manifest digest and size. Only when every file is checked are they all
 * renamed into place, so a failed pull leaves the targets as they were. Files without a recipe
 * (older servers) are downloaded whole. An interrupted pull resumes from the cache. Files at the
 * targets (the version being replaced) seed the cache when it lacks their chunks (`seed`).
 *
 * @example
 * const { version } = await pullVersion(client, { model: 'fraud', ref: 'production', outDir: './fraud' });
 */
export async function pullVersion(client: StewardClient, opts: PullOptions): Promise<PullResult> {
  const { version, todo, skipped, plan, cache } = await prepare(client, opts, false);
  const result: PullResult = { version, downloaded: 0, skipped, bytes: 0, transferredBytes: 0, chunksFetched: plan.fetch.length, chunksCached: plan.cachedChunks, chunksSeeded: plan.seededChunks, seededBytes: plan.seededBytes };
  const total = plan.fetchBytes + plan.wholeBytes;
  let fetchedBytes = 0; // chunk bytes in, and whole-file bytes in: both run at once
  let wholeBytes = 0;
  const progress = (path: string, bytes: number): void => opts.onProgress?.({ phase: 'download', path, bytes, total });
  const delta = opts.fetch?.compress === false ? undefined : await deltaBases(cache, plan);
  // Files are rebuilt while their chunks arrive: a chunk is read back as soon as the segment
  // holding it is committed. If either side fails, the other stops (the fetch after the batches
  // in flight) and the pull fails with the fetch's error first.
  const arrivals = new ChunkArrivals(plan.fetch.map((c) => c.id));
  const stop = new AbortController();
  const fetching = fetchIntoCache(client, cache, plan.fetch, {
    ...opts.fetch,
    bases: delta?.bases,
    baseBytes: delta?.bytes,
    onBytes: (n) => progress(todo[0]?.file.path ?? '', (fetchedBytes = n) + wholeBytes),
    onCached: (ids) => arrivals.arrived(ids),
    signal: stop.signal,
  }).then(
    (r) => (arrivals.end(), r),
    (err: unknown) => {
      arrivals.end(err);
      throw err;
    },
  );
  const staged = new StagedFiles();
  const reader = cache.reader(); // shared: a segment is opened once for all the files reading from it
  const remembered: BlobRecipe[] = [];
  const rebuilding = (async () => {
    try {
      for (const { file, target } of todo) {
        const recipe = plan.recipes.get(file.sha256);
        const tmp = await staged.add(target);
        if (recipe) {
          await assembleFile(client, cache, file, recipe, tmp, { arrivals, reader });
          remembered.push(recipe);
        } else {
          const start = wholeBytes;
          await downloadTo(client, version, file, tmp, (n) => progress(file.path, fetchedBytes + (wholeBytes = start + n)));
        }
        result.downloaded++;
        result.bytes += file.size;
        progress(file.path, fetchedBytes + wholeBytes);
      }
    } finally {
      await reader.close();
    }
  })().catch((err: unknown) => {
    stop.abort(err);
    throw err;
  });
  const [fetched, rebuilt] = await Promise.allSettled([fetching, rebuilding]);
  if (fetched.status === 'rejected' || rebuilt.status === 'rejected') {
    await staged.discard();
    throw fetched.status === 'rejected' ? fetched.reason : (rebuilt as PromiseRejectedResult).reason;
  }
  await staged.commit(); // every file verified: now they all go into place
  await rememberRecipes(cache, remembered);
  result.transferredBytes = fetched.value.wireBytes + plan.wholeBytes;
  await cache.trim();
  return result;
}

/**
 * Remembers the recipes of rebuilt files in the cache, as delta bases and seed hints for later
 * pulls (only a hint: failures are ignored). The cache keeps RECIPES_KEPT of them, so only the
 * largest files' are written, the largest last (pulls look at the newest first): writing one per
 * file cost a model of 300 small files ~0.3 s, and trim then deleted all but the last 32 anyway.
 */
async function rememberRecipes(cache: ChunkCache, recipes: BlobRecipe[]): Promise<void> {
  const kept = [...recipes].sort((a, b) => a.size - b.size).slice(-RECIPES_KEPT);
  for (const r of kept) await cache.putRecipe(r).catch(() => undefined);
}

/**
 * What a pull would transfer given the local cache and the files on disk; writes nothing.
 * @example
 * const p = await planPull(client, { model: 'fraud', ref: '1.3.0', outDir: './fraud' });
 * console.log(`${p.transferBytes} bytes, ${p.plan.fetch.length} chunks`);
 */
export async function planPull(client: StewardClient, opts: PullOptions): Promise<PullPlan> {
  const { version, todo, skipped, plan } = await prepare(client, opts, true);
  return { version, files: todo.map((t) => t.file), skipped, plan, transferBytes: plan.fetchBytes + plan.wholeBytes };
}

async function prepare(client: StewardClient, opts: PullOptions, dryRun: boolean) {
  // Retried: a keep-alive socket the server closed while idle surfaces as a reset on reuse.
  const version = await withRetry(() => client.versions.get(opts.model, opts.ref));
  let files: FileEntry[] = version.files;
  if (opts.verify !== false) {
    verifyVersionSignature(version, await trustedKey(client, opts.home ?? stewardHome()));
    files = version.manifest.files;
  }
  const targets = files.map((f) => ({ file: f, target: safeJoin(opts.outDir, f.path) })); // refuse before writing anything
  const cacheDir = opts.cacheDir ?? defaultChunkCacheDir(opts.home ? { STEWARD_HOME: opts.home } : process.env);
  const cache = new ChunkCache(cacheDir, { maxBytes: opts.cacheMaxBytes });
  // With seeds, a file at a target that the cache does not cover is chunked to tell whether it is
  // already right, and that chunking is reused if it is a seed: one read of it, not two.
  const scan = opts.seed === false ? undefined : new SeedScan(cache, { dryRun, onBytes: (path, bytes, total) => opts.onProgress?.({ phase: 'chunk', path, bytes, total }) });
  const todo: typeof targets = [];
  let skipped = 0;
  for (const t of targets) if (await alreadyThere(t.target, t.file, scan, (bytes) => opts.onProgress?.({ phase: 'hash', path: t.file.path, bytes, total: t.file.size }))) skipped++; else todo.push(t);
  const seeds = scan && todo.length > 0 ? await scan.seed(await seedCandidates(opts.outDir, todo, files, opts.seedFrom ?? [])) : undefined;
  const plan = await planFetch(client, todo.map((t) => t.file), cache, seeds?.ids);
  return { version, todo, skipped, plan, cache };
}

/**
 * Bases for the chunks to fetch: per file, the remembered recipe (of an earlier pull into this
 * cache) sharing the most chunks, aligned on shared chunks; only bases still cached are kept.
 */
async function deltaBases(cache: ChunkCache, plan: FetchPlan): Promise<{ bases: Map<string, string[]>; bytes: Map<string, number> }> {
  const out = new Map<string, string[]>();
  const bytes = new Map<string, number>();
  if (plan.fetch.length === 0) return { bases: out, bytes };
  const olds = await cache.recipes();
  const sizeOf = new Map(olds.flatMap((o) => o.map((c) => [c.id, c.size] as const)));
  const want = new Set(plan.fetch.map((c) => c.id));
  const cached = new Map<string, boolean>();
  const isCached = async (id: string) => {
    let v = cached.get(id);
    if (v === undefined) cached.set(id, (v = await cache.has(id)));
    return v;
  };
  for (const recipe of plan.recipes.values()) {
    if (!recipe) continue;
    const old = closestRecipe(recipe.chunks, olds);
    if (!old) continue;
    for (const [id, bases] of alignedBases(recipe.chunks, old, want)) {
      if (out.has(id)) continue;
      let all = true;
      for (const b of bases) if (!(all = await isCached(b))) break;
      if (all) {
        out.set(id, bases);
        bytes.set(id, bases.reduce((n, b) => n + (sizeOf.get(b) ?? 0), 0));
      }
    }
  }
  return { bases: out, bytes };
}

/** Most files of the output directory looked at as seeds. */
const MAX_SEED_FILES = 256;

/**
 * Files that may hold chunks of the new version: the files at the targets to write (the version
 * being replaced, same names) first; then files of the output directory the new version does not
 * name, but only those that look like an older version of a file to write, with the same
 * extension and a size within 4 × either way (`model-1.1.0.safetensors` before
 * `model-1.2.0.safetensors`; a pull into a directory full of other data reads none of it); then
 * the files under `more` (other installed versions). Files already right are left out (their
 * chunks are this version's own and already in place), and so are a pull's temp files.
 */
async function seedCandidates(outDir: string, todo: { file: FileEntry; target: string }[], manifest: FileEntry[], more: string[]): Promise<string[]> {
  const named = new Set(manifest.map((f) => f.path));
  const notTemp = (f: LocalFile) => !isStagedTemp(f.path);
  const like = (f: LocalFile) => todo.some((t) => extname(t.file.path) === extname(f.path) && f.size * 4 >= t.file.size && f.size <= t.file.size * 4);
  const stale = (await collectFiles(['.'], outDir).catch(() => [])).filter((f) => !named.has(f.path) && notTemp(f) && like(f));
  const others = (await Promise.all(more.map((d) => collectFiles(['.'], d).catch(() => [])))).flat().filter(notTemp);
  return [...new Set([...todo.map((t) => t.target), ...stale.map((f) => f.absPath), ...others.map((f) => f.absPath)])].slice(0, MAX_SEED_FILES);
}

/** Whether the file at `target` is `file` already: its size, then its SHA-256 (from `scan`, which may chunk it as a seed on the way). */
async function alreadyThere(target: string, file: FileEntry, scan: SeedScan | undefined, onHash: (bytesRead: number) => void): Promise<boolean> {
  const st = await stat(target).catch(() => null);
  if (!st?.isFile() || st.size !== file.size) return false;
  const sha256 = scan ? await scan.digest(target, st.size, onHash) : (await hashFile(target, onHash)).sha256;
  return sha256 === file.sha256;
}

/** Downloads `file` whole into the new file `tmp`, verified against the manifest; removes it on failure. */
async function downloadTo(
  client: StewardClient,
  version: Version,
  file: FileEntry,
  tmp: string,
  onBytes: (n: number) => void,
): Promise<void> {
  try {
    const dl = await client.versions.file(version.model, version.version, file.path);
    const hash = createHash('sha256');
    let size = 0;
    const body = dl.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const reader = body?.getReader();
      while (reader) {
        const { done, value } = await reader.read();
        if (done) return;
        hash.update(value);
        size += value.byteLength;
        onBytes(size);
        yield value;
      }
    }
    // pipeline handles backpressure and closes the file on error.
    await pipeline(chunks(), createWriteStream(tmp, { flags: 'wx' }));
    const sha256 = hash.digest('hex');
    if (sha256 !== file.sha256 || size !== file.size) {
      throw new DigestMismatchError(`${file.path}: downloaded ${size} bytes hashing to ${sha256}, expected ${file.size} bytes ${file.sha256}`, {
        path: file.path,
        expected: file.sha256,
        actual: sha256,
      });
    }
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
