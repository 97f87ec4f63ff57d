import { MAX_RECIPE_BATCH_IDS, MAX_RECIPES_PER_BATCH } from '@steward/core';
import { batchBySize } from '../api/chunk-frames.ts';
import type { StewardClient } from '../client.ts';
import type { FileEntry, Version, VersionMetadata } from '../types.ts';
import { isUnknownRoute, StewardApiError } from '../errors.ts';
import { chunkFile, inSegments, segmentBytesFor, type FileRecipe } from './chunk-file.ts';
import { chunkPoolFor } from './chunk-pool.ts';
import { ChunkUploader, type ChunkedUploadOptions, type ChunkedUploadStats } from './chunked-upload.ts';
import type { FileChunk } from './chunk-scan.ts';
import { collectFiles, type LocalFile } from './collect-files.ts';
import { DigestCache, defaultDigestCacheFile } from './digest-cache.ts';
import { OpenRecipeCheck } from './open-recipe-check.ts';
import { putBlobFromFile } from './http-upload.ts';
import { forEachInFlight } from './in-flight.ts';
import { withRetry } from './retry.ts';

/** Progress of one phase; bytes are cumulative over the phase, `total` is the phase's byte count. */
export interface TransferProgress {
  /** `chunk`: content-defined chunking + hashing of local files (push; a pull's seeds, see seedFromInstalled). */
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
  /** Files of at least 2 segments are chunked by several workers in parallel (bytes; default: segmentBytesFor each file). */
  segmentBytes?: number;
  /** Batch size, requests in flight and retries of the chunk upload. */
  upload?: Omit<ChunkedUploadOptions, 'onBytes'>;
  /** Seconds each early recipe declaration waits on the server before it answers pending and is asked again (1–60, default 30). */
  recipeWaitSeconds?: number;
  /**
   * Digests of files pushed before from this machine, by path and stat: a file unchanged since,
   * whose blob the server has, is not read again. Default: `$STEWARD_HOME/cache/digests.json`;
   * null reads every file.
   */
  digests?: DigestCache | null;
}

export interface PushResult {
  version: Version;
  /** Blobs sent / already on the server (counted once per distinct digest). */
  uploaded: number;
  skipped: number;
  uploadedBytes: number;
  /** Distinct chunks of the blobs that were sent, and how many of them the server lacked. Absent on servers without the chunk API. */
  chunks?: { total: number; uploaded: number };
  /** Files not read at all: unchanged since an earlier push from this machine, and already on the server. */
  unchanged: number;
}

/**
 * Publishes a version: create a draft (so a wrong model or a version that exists fails before any
 * upload), chunk and hash files (streaming, on worker threads) while sending the chunks the server
 * lacks as soon as they are known, declare each new blob by its recipe, attach files, commit. A server without the chunk API gets whole blobs instead. Any
 * failure after the draft exists deletes the draft, so nothing half-pushed stays behind; chunks
 * already sent stay and are not sent again by the next attempt. Files unchanged since an earlier
 * push from this machine (see DigestCache) whose blobs the server has are not read at all.
 *
 * @example
 * const { version } = await pushVersion(client, {
 *   model: 'fraud', version: '1.2.0', paths: ['model.onnx', './tokenizer/'],
 *   metadata: { metrics: { f1: 0.93 }, parent: '1.1.0', relation: 'retrain' },
 *   onProgress: (p) => console.error(p.phase, p.path, p.bytes, '/', p.total),
 * });
 */
export async function pushVersion(client: StewardClient, opts: PushOptions): Promise<PushResult> {
  const all = await collectFiles(opts.paths, opts.cwd);
  if (all.length === 0) throw new Error('nothing to push: the given paths contain no files');
  // The draft first: a model that does not exist or is archived, or a version number taken
  // already, fails here, before a byte is read or sent.
  const draft = await client.drafts.create(opts.model, { ...opts.metadata, version: opts.version });
  try {
    return await pushInto(client, opts, all, draft.id);
  } catch (err) {
    await client.drafts.delete(opts.model, draft.id).catch(() => undefined); // best effort; drafts expire anyway
    throw err;
  }
}

/** pushVersion's work once its draft exists: read, upload and declare what the server lacks, attach, commit. */
async function pushInto(client: StewardClient, opts: PushOptions, all: LocalFile[], draftId: string): Promise<PushResult> {
  const digests = opts.digests === undefined ? await DigestCache.open(defaultDigestCacheFile()) : opts.digests;
  const known = await unchangedOnServer(client, all, digests);
  const local = all.filter((f) => !known.has(f.absPath));
  const progress = uploadProgress(local, opts.onProgress);
  const uploader = local.length > 0 && (await hasChunkApi(client)) ? new ChunkUploader(client, { ...opts.upload, onBytes: progress.report }) : null;
  // Files chunked in segments get an open recipe check: the server hashes their chunks while the rest is chunked.
  const opens = uploader ? openChecks(client, local, opts) : new Map<string, OpenRecipeCheck>();
  const cancelOpens = () => Promise.all([...opens.values()].map((o) => o.cancel()));
  let recipes: FileRecipe[];
  try {
    recipes = await chunkAll(
      local,
      opts,
      uploader
        ? (abs, chunks) => {
            uploader.add(abs, chunks);
            opens.get(abs)?.add(chunks.map((c) => c.id));
          }
        : undefined,
      digests,
    );
  } catch (err) {
    await Promise.all([uploader?.abort(err), cancelOpens()]);
    throw err;
  }
  progress.chunked();
  // Declared now, while the upload goes on: the server hashes what it holds and waits for the rest.
  const openOf = new Map(local.map((f, i) => [recipes[i]!, opens.get(f.absPath)]));
  const big = earlyOnes(recipes, openOf);
  const early = uploader && big.length > 0 ? declareEarly(client, big, opts.recipeWaitSeconds ?? EARLY_WAIT_S, openOf) : null;
  let sent: ChunkedUploadStats | undefined;
  try {
    sent = await uploader?.finish();
  } catch (err) {
    early?.stop();
    await early?.declared;
    await cancelOpens();
    throw err;
  }
  // Every chunk is stored now: the server's check only has the last windows left to hash.
  const declared = (await early?.declared) ?? new Map<string, boolean>();
  const entries: FileEntry[] = local.map((f, i) => ({ path: f.path, sha256: recipes[i]!.sha256, size: recipes[i]!.size }));
  const stats = uploader && sent ? await putRecipes(client, uploader, recipes, sent, declared) : await uploadMissing(client, local, entries, opts.onProgress);
  const readDigests = new Set(entries.map((e) => e.sha256));
  const unread = new Set([...known.values()].map((k) => k.sha256).filter((sha) => !readDigests.has(sha)));
  const read = new Map(local.map((f, i) => [f.absPath, entries[i]!]));
  await client.drafts.attach(opts.model, draftId, all.map((f) => known.get(f.absPath) ?? read.get(f.absPath)!));
  const version = await client.drafts.commit(opts.model, draftId);
  await digests?.save().catch(() => undefined); // a hint for the next push only
  return { version, ...stats, skipped: stats.skipped + unread.size, unchanged: known.size };
}

/**
 * Files whose digest the cache remembers for their current stat and whose blob the server has:
 * they need no reading, chunking or upload. By absolute path.
 */
async function unchangedOnServer(client: StewardClient, files: LocalFile[], digests: DigestCache | null): Promise<Map<string, FileEntry>> {
  const out = new Map<string, FileEntry>();
  if (!digests) return out;
  const remembered = new Map<LocalFile, string>();
  for (const f of files) {
    const sha256 = await digests.lookup(f.absPath);
    if (sha256) remembered.set(f, sha256);
  }
  const present = await storedOf(client, [...new Set(remembered.values())]);
  for (const [f, sha256] of remembered) if (present.has(sha256)) out.set(f.absPath, { path: f.path, sha256, size: f.size });
  return out;
}

/** Which of `digests` the server stores: `POST /blobs/missing` in requests of MISSING_PER_REQUEST, or a HEAD each on a server without it. */
async function storedOf(client: StewardClient, digests: string[]): Promise<Set<string>> {
  const present = new Set<string>();
  try {
    for (let i = 0; i < digests.length; i += MISSING_PER_REQUEST) {
      const part = digests.slice(i, i + MISSING_PER_REQUEST);
      const { missing } = await withRetry(() => client.blobs.missing(part));
      const gone = new Set(missing);
      for (const d of part) if (!gone.has(d)) present.add(d);
    }
    return present;
  } catch (err) {
    if (!isUnknownRoute(err)) throw err;
  }
  await forEachInFlight(digests, HEADS_IN_FLIGHT, async (sha256) => {
    if ((await withRetry(() => client.blobs.head(sha256))) !== null) present.add(sha256);
  });
  return present;
}

/** Digests per `POST /blobs/missing` (the server's limit). */
const MISSING_PER_REQUEST = 10_000;

/** Blob existence checks in flight while looking for unchanged files. */
const HEADS_IN_FLIGHT = 8;

async function hasChunkApi(client: StewardClient): Promise<boolean> {
  try {
    await withRetry(() => client.chunks.missing([]));
    return true;
  } catch (err) {
    if (isUnknownRoute(err)) return false;
    throw err;
  }
}

/**
 * Upload progress, held back while chunking still reports (uploads overlap chunking): a caller
 * sees one 'chunk' phase, then one 'upload' phase, not the two interleaved (a CLI draws one bar per phase).
 */
function uploadProgress(local: LocalFile[], onProgress: PushOptions['onProgress']) {
  let held: TransferProgress | undefined;
  let chunking = true;
  return {
    report(sent: number, total: number, abs: string): void {
      const p: TransferProgress = { phase: 'upload', path: local.find((f) => f.absPath === abs)?.path ?? abs, bytes: sent, total };
      if (chunking) held = p;
      else onProgress?.(p);
    },
    chunked(): void {
      chunking = false;
      if (held) onProgress?.(held);
    },
  };
}

/**
 * Chunks every file (files in parallel, large files split into segments), in `local` order;
 * `onChunks` gets each file's chunks as they become final.
 */
async function chunkAll(local: LocalFile[], opts: PushOptions, onChunks?: (absPath: string, chunks: FileChunk[]) => void, digests?: DigestCache | null): Promise<FileRecipe[]> {
  const total = local.reduce((s, f) => s + f.size, 0);
  let done = 0;
  let current = local[0]?.path ?? '';
  // Workers (plain JavaScript, bundled once per process) are kept for the next push of this process.
  const pool = chunkPoolFor(total, opts.threads);
  const onBytes = (delta: number) => {
    done += delta;
    opts.onProgress?.({ phase: 'chunk', path: current, bytes: done, total });
  };
  return Promise.all(
    local.map(async (f) => {
      current = f.path; // files are queued together; the bar names the last one queued or started
      const before = digests ? await DigestCache.stat(f.absPath) : undefined;
      const r = await chunkFile(pool, f.absPath, f.size, segmentBytesOf(f, opts), onChunks && ((c) => onChunks(f.absPath, c)), onBytes);
      if (r.size !== f.size) throw new Error(`${f.path} changed while being pushed (${f.size} → ${r.size} bytes)`);
      if (digests && before) digests.record(f.absPath, before, await DigestCache.stat(f.absPath), r.sha256);
      return r;
    }),
  );
}

/**
 * The recipes declared early, while the upload goes on (declareEarly): those with an open check,
 * and the EARLY_MAX_FILES largest of at least EARLY_MIN_BYTES, in file order. The rest are
 * declared together once the upload ends (putRecipes): early declarations go one after another,
 * a round trip and a commit each, and the server checks a small file in moments anyway.
 */
function earlyOnes(recipes: FileRecipe[], openOf: Map<FileRecipe, OpenRecipeCheck | undefined>): FileRecipe[] {
  const largest = new Set(
    recipes
      .filter((r) => r.size >= EARLY_MIN_BYTES)
      .sort((a, b) => b.size - a.size)
      .slice(0, EARLY_MAX_FILES),
  );
  return recipes.filter((r) => largest.has(r) || openOf.get(r));
}
const EARLY_MIN_BYTES = 1024 * 1024;
const EARLY_MAX_FILES = 8;

/** Seconds each early recipe PUT waits on the server before it answers pending and is asked again. */
const EARLY_WAIT_S = 30;

/** Open recipe checks per push at most (a server runs 4 checks at once, for every push it serves). */
const MAX_OPEN_CHECKS = 2;

/**
 * An open recipe check (OpenRecipeCheck) for each of the first MAX_OPEN_CHECKS files chunked in
 * segments, by absolute path: their chunks become known segment by segment, so the server can
 * hash the first ones long before the file's digest is known. A file chunked in one piece gets
 * all its ids at once, with its digest: it gains nothing from one.
 */
function openChecks(client: StewardClient, local: LocalFile[], opts: PushOptions): Map<string, OpenRecipeCheck> {
  const out = new Map<string, OpenRecipeCheck>();
  for (const f of local) {
    if (out.size >= MAX_OPEN_CHECKS) break;
    if (inSegments(f.size, segmentBytesOf(f, opts)) && !out.has(f.absPath)) out.set(f.absPath, new OpenRecipeCheck(client));
  }
  return out;
}

/** The segment length a push chunks `f` in: the option, else segmentBytesFor its size. */
const segmentBytesOf = (f: LocalFile, opts: PushOptions): number => opts.segmentBytes ?? segmentBytesFor(f.size);

/**
 * Declares each blob by its recipe with `?wait` as soon as chunking is done, while the upload is
 * still going on: the server hashes the chunks it already holds (the unchanged bulk of a
 * fine-tune) and then each new one as it lands, instead of reading the whole file back after the
 * last upload. `declared` resolves to digest → created for the recipes committed this way; any
 * failure (a server without `wait` answers 409 chunk_missing at once) leaves that recipe to
 * putRecipes after the upload, so this is only ever a head start.
 */
function declareEarly(
  client: StewardClient,
  recipes: FileRecipe[],
  wait: number,
  opens: Map<FileRecipe, OpenRecipeCheck | undefined>,
): { declared: Promise<Map<string, boolean>>; stop: () => void } {
  const ctl = new AbortController();
  const declared = (async () => {
    const out = new Map<string, boolean>();
    // One declaration per digest: the open check of the first file with it, if any; the others' go.
    const byDigest = new Map<string, { recipe: FileRecipe; open?: OpenRecipeCheck }>();
    for (const recipe of recipes) {
      const open = opens.get(recipe);
      const first = byDigest.get(recipe.sha256);
      if (!first) byDigest.set(recipe.sha256, { recipe, ...(open ? { open } : {}) });
      else if (open && !first.open) first.open = open;
      else void open?.cancel();
    }
    for (const { recipe, open } of byDigest.values()) {
      if (ctl.signal.aborted) break;
      const body = { size: recipe.size, chunks: recipe.chunks.map((c) => c.id) };
      try {
        const created = open ? await open.end({ sha256: recipe.sha256, size: recipe.size }, wait, ctl.signal) : null;
        if (created !== null) {
          out.set(recipe.sha256, created);
          continue;
        }
        // A HEAD is cheaper than sending the recipe of a file the server already has.
        if ((await client.blobs.head(recipe.sha256)) !== null) {
          out.set(recipe.sha256, false);
          continue;
        }
        const declare = () => client.chunks.putRecipe(recipe.sha256, body, { wait, signal: ctl.signal });
        let res = await declare();
        // Re-asks send only the size; a check the server no longer runs gets the whole recipe again.
        while (res.pending) {
          res = await client.chunks.waitRecipe(recipe.sha256, recipe.size, { wait, signal: ctl.signal }).catch((err: unknown) => {
            if (err instanceof StewardApiError && err.code === 'recipe_check_not_found') return declare();
            throw err;
          });
        }
        out.set(recipe.sha256, res.created);
      } catch {
        if (ctl.signal.aborted) break;
      }
    }
    return out;
  })();
  return { declared, stop: () => ctl.abort() };
}

/**
 * Declares each blob the server lacks by its recipe (its chunks are all stored by now), except
 * those `declared` early: in `POST /blobs/recipes` batches, so a push of a thousand small files
 * costs a request and a commit per batch instead of a HEAD, a PUT and a commit per file (a model
 * directory of 300 small files pushes in 0.8 s instead of 3.7; bench/many-files.bench.ts). A
 * server without that call (404) gets them one at a time, as before.
 */
async function putRecipes(
  client: StewardClient,
  uploader: ChunkUploader,
  recipes: FileRecipe[],
  sent: ChunkedUploadStats,
  declared: Map<string, boolean>,
): Promise<Omit<PushResult, 'version' | 'unchanged'>> {
  const byDigest = new Map(recipes.map((r) => [r.sha256, r]));
  let uploaded = [...declared.values()].filter(Boolean).length;
  const rest = [...byDigest.values()].filter((r) => !declared.has(r.sha256));
  let batchApi = true;
  for (const group of recipeBatches(rest)) {
    const alone = group.length === 1 && group[0]!.chunks.length > MAX_RECIPE_BATCH_IDS;
    if (batchApi && !alone) {
      try {
        for (const created of (await uploader.putRecipes(group)).values()) if (created) uploaded++;
        continue;
      } catch (err) {
        if (!isUnknownRoute(err)) throw err;
        batchApi = false; // an older server: one at a time from here on
      }
    }
    for (const recipe of group) {
      if ((await withRetry(() => client.blobs.head(recipe.sha256))) !== null) continue;
      await uploader.putRecipe(recipe);
      uploaded++;
    }
  }
  return {
    uploaded,
    skipped: byDigest.size - uploaded,
    uploadedBytes: sent.uploadedBytes,
    chunks: { total: sent.chunks, uploaded: sent.chunksUploaded },
  };
}

/**
 * `recipes` in groups for `POST /blobs/recipes` (at most MAX_RECIPES_PER_BATCH recipes and
 * MAX_RECIPE_BATCH_IDS ids each); a recipe too long for any group is a group of its own, which
 * putRecipes declares with `PUT /blobs/{sha}/recipe`.
 */
export function* recipeBatches(recipes: readonly FileRecipe[]): Generator<FileRecipe[]> {
  const long = (r: FileRecipe) => r.chunks.length > MAX_RECIPE_BATCH_IDS;
  for (const r of recipes) if (long(r)) yield [r];
  yield* batchBySize(recipes.filter((r) => !long(r)), (r) => r.chunks.length, MAX_RECIPE_BATCH_IDS, MAX_RECIPES_PER_BATCH, 0);
}

async function uploadMissing(
  client: StewardClient,
  local: LocalFile[],
  entries: FileEntry[],
  onProgress: PushOptions['onProgress'],
): Promise<Omit<PushResult, 'version' | 'unchanged'>> {
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
