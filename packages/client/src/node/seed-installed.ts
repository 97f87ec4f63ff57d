import { open, stat } from 'node:fs/promises';
import { DigestMismatchError } from '@steward/core';
import type { ChunkCache } from './chunk-cache.ts';
import { chunkFile, segmentBytesFor, type FileRecipe } from './chunk-file.ts';
import { chunkPoolFor } from './chunk-pool.ts';
import type { FileChunk } from './chunk-scan.ts';
import { hashFile } from './hash-file.ts';

/** Remembered recipes looked at to decide whether the cache already covers an installed file. */
const RECIPES_CHECKED = 32;
/** Chunks copied into one cache segment (trim evicts whole segments: keep them fetch-batch sized). */
const SEGMENT_BYTES = 16 << 20;

export interface SeedOptions {
  /** Chunk (read) the seeds, but copy nothing: the ids say what they would give. */
  dryRun?: boolean;
  /** Chunking threads; default: all cores for files of 64 MiB or more. */
  threads?: number;
  /** Bytes of a seed chunked so far (`path`, its size), for a progress bar. */
  onBytes?: (path: string, bytes: number, total: number) => void;
}

export interface SeedResult {
  /** Installed files chunked as seeds. */
  files: number;
  /** Chunks the seeds hold that the cache did not (copied into it, or in a dry run counted as local). */
  chunks: number;
  bytes: number;
  /** Their ids (a dry run's plan counts them as cached). */
  ids: Set<string>;
}

/**
 * Installed files as seeds. A pull usually replaces the version it pulled before, whose chunks the
 * cache holds: the pull then fetches only what changed. When the cache does not hold them (it was
 * cleared or trimmed, the pull names another cache dir, or the device got its files some other
 * way), the file at each target is another version of the same model, and a fine-tune leaves most
 * of its chunks as they were. Such a file is chunked here, its chunks the cache lacks are copied
 * into it (each verified against its id as it is written) and its recipe remembered as a delta
 * base, so the pull fetches only what changed after all.
 *
 * A target is skipped when the cache already covers it: a remembered recipe of the same size whose
 * chunks are all cached (a guess from the size alone, which only decides whether to look; nothing
 * is trusted without its digest). Nothing is written in a dry run; the ids are returned instead.
 */
export async function seedFromInstalled(cache: ChunkCache, targets: readonly string[], opts: SeedOptions = {}): Promise<SeedResult> {
  return new SeedScan(cache, opts).seed(targets);
}

/**
 * seedFromInstalled in two steps, so that a pull reads a file it may keep only once. A pull first
 * asks whether each file at its targets is already the one it wants (`digest`); one of the right
 * size the cache does not cover is chunked for that answer, since it would be chunked as a seed
 * right after: chunking gives its SHA-256 too. `seed` then reuses that chunking.
 */
export class SeedScan {
  readonly #known: KnownRecipes;
  /** Files chunked by `digest`, by path, for `seed`. */
  readonly #chunked = new Map<string, FileRecipe>();

  constructor(
    private readonly cache: ChunkCache,
    private readonly opts: SeedOptions = {},
  ) {
    this.#known = new KnownRecipes(cache);
  }

  /**
   * The SHA-256 of the file at `target`, `size` bytes by its stat: chunked when the cache does not
   * cover a file of that size (its recipe kept for `seed`), else hashed (`onHash` gets the bytes read).
   */
  async digest(target: string, size: number, onHash?: (bytesRead: number) => void): Promise<string> {
    if (size === 0 || (await this.#known.cover(size))) return (await hashFile(target, onHash)).sha256;
    const recipe = await this.#chunk(target, size);
    this.#chunked.set(target, recipe);
    return recipe.sha256;
  }

  async seed(targets: readonly string[]): Promise<SeedResult> {
    const result: SeedResult = { files: 0, chunks: 0, bytes: 0, ids: new Set() };
    for (const target of targets) {
      // Best effort: a seed that cannot be read or copied only means a bigger download.
      await this.#seedOne(target, result).catch(() => undefined);
    }
    return result;
  }

  async #chunk(target: string, size: number): Promise<FileRecipe> {
    let done = 0;
    const onBytes = this.opts.onBytes && ((delta: number) => this.opts.onBytes!(target, (done += delta), size));
    return chunkFile(chunkPoolFor(size, this.opts.threads), target, size, segmentBytesFor(size), undefined, onBytes);
  }

  async #seedOne(target: string, result: SeedResult): Promise<void> {
    const st = await stat(target).catch(() => null);
    if (!st?.isFile() || st.size === 0) return;
    let recipe = this.#chunked.get(target);
    if (!recipe) {
      if (await this.#known.cover(st.size)) return;
      recipe = await this.#chunk(target, st.size);
    }
    if (recipe.size !== st.size) return; // changed while being read, or since
    result.files++;
    const cache = this.cache;
    const cached = await cache.hasMany(recipe.chunks.map((c) => c.id));
    const taken = new Set<string>();
    const fresh = recipe.chunks.filter((c) => !cached.has(c.id) && !result.ids.has(c.id) && !taken.has(c.id) && taken.add(c.id)); // a chunk repeated in the file (zeros, say) is copied once
    const copied = this.opts.dryRun ? fresh : await copyIntoCache(cache, target, fresh);
    for (const c of copied) {
      result.ids.add(c.id);
      result.chunks++;
      result.bytes += c.length;
    }
    if (!this.opts.dryRun && copied.length === fresh.length) {
      await cache.putRecipe({ sha256: recipe.sha256, chunks: recipe.chunks.map((c) => ({ id: c.id, size: c.length })) }); // remembered as a delta base
    }
  }
}

/**
 * The cache's remembered recipes, newest first, read only as far as needed: the file a pull
 * replaces is usually among the last it rebuilt, and a 4 GiB file's recipe is ~4 MB of JSON.
 */
class KnownRecipes {
  readonly #read: { size: number; ids: string[] }[] = [];
  #more: AsyncGenerator<{ id: string; size: number }[]> | undefined;

  constructor(private readonly cache: ChunkCache) {}

  /** Whether a remembered recipe of `size` bytes has every chunk in the cache. */
  async cover(size: number): Promise<boolean> {
    for (const r of this.#read) if (r.size === size && (await this.#cached(r.ids))) return true;
    this.#more ??= this.cache.eachRecipe(RECIPES_CHECKED);
    // next() by hand: leaving a for await loop early would close the generator for the next file.
    for (let n = await this.#more.next(); !n.done; n = await this.#more.next()) {
      const r = { size: n.value.reduce((t, c) => t + c.size, 0), ids: [...new Set(n.value.map((c) => c.id))] };
      this.#read.push(r);
      if (r.size === size && (await this.#cached(r.ids))) return true;
    }
    return false;
  }

  async #cached(ids: string[]): Promise<boolean> {
    return (await this.cache.hasMany(ids)).size === ids.length;
  }
}

/**
 * Copies `chunks` of the file at `path` into cache segments; returns those copied. A chunk that
 * no longer hashes to its id (the file changed since it was chunked) ends the copy: what was
 * copied before stays, verified.
 */
async function copyIntoCache(cache: ChunkCache, path: string, chunks: FileChunk[]): Promise<FileChunk[]> {
  const copied: FileChunk[] = [];
  if (chunks.length === 0) return copied;
  const fh = await open(path, 'r');
  let writer = await cache.writer();
  let inSegment = 0;
  // One buffer for every chunk: add() resolves once the bytes are written, and each is awaited
  // (a buffer per chunk was ~4,000 allocations per 256 MiB seed, all garbage at once).
  let scratch = Buffer.allocUnsafe(0);
  try {
    for (const c of chunks) {
      if (scratch.length < c.length) scratch = Buffer.allocUnsafe(c.length);
      const bytes = scratch.subarray(0, c.length);
      const { bytesRead } = await fh.read(bytes, 0, c.length, c.offset);
      if (bytesRead !== c.length) break;
      try {
        await writer.add(c.id, bytes);
      } catch (err) {
        if (err instanceof DigestMismatchError) break;
        throw err;
      }
      copied.push(c);
      if ((inSegment += c.length) >= SEGMENT_BYTES) {
        await writer.commit();
        writer = await cache.writer();
        inSegment = 0;
      }
    }
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await fh.close();
  }
  return copied;
}
