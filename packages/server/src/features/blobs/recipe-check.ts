import { createHash } from 'node:crypto';
import { ConflictError, DigestMismatchError, StewardError } from '@steward/core';
import type { ObjectStore } from '../../storage/object-store.ts';
import type { ChunkArrivals } from '../storage/chunk-arrivals.ts';
import { locate, storedIds, type ChunkLocation } from '../storage/chunk-index.ts';
import { hashLocated } from '../storage/chunk-reader.ts';
import type { StorageDb } from '../storage/storage.tables.ts';
import { commitRecipe, type RecipeChunk } from './blob-recipe.ts';

/** Ids per window: a check trails the upload by at most this many chunks (~16 MiB). */
const WINDOW = 256;
/** A waiting check looks at the index again this often even when this process stored nothing (an upload to another replica). */
const POLL_MS = 250;
/** Checks that may wait at once (each holds up to two 8 MiB hashing buffers); more requests get the immediate answer. */
export const MAX_WAITING_CHECKS = 4;
/** Longest `?wait=` a request may ask for (seconds): a long poll stays well under HTTP clients' header timeouts. */
export const MAX_RECIPE_WAIT_S = 60;

export interface RecipeCheckDeps {
  db: StorageDb;
  objects: ObjectStore;
  now: () => Date;
  /** The check fails with 409 chunk_missing once no chunk arrived for this long (ms). */
  idleMs: number;
  /** The app's pack writers tell it when they index chunks; other replicas' uploads are found by polling. */
  arrivals: ChunkArrivals;
}

/**
 * The digest check of a recipe declared while its chunks are still being uploaded (`PUT
 * /blobs/{sha}/recipe?wait=S`): it hashes the chunks in file order as they become stored, one
 * window at a time, and commits the blob once the whole file hashes to its digest. So a push's
 * check of everything already stored (the unchanged bulk of a fine-tune) overlaps its upload of
 * the rest instead of following it. It runs on its own, whoever waits for it; requests long-poll
 * `done`. It fails with 409 chunk_missing (every id still missing) once nothing arrived for
 * `idleMs`, and with 422 digest_mismatch like the immediate check. Nothing is written before
 * the final commitRecipe, which re-checks every chunk is still there (GC) in its transaction.
 */
export class RecipeCheck {
  /** Raw bytes of the recipe hashed or queued for hashing so far. */
  hashedBytes = 0;
  #stopped = false;
  readonly done: Promise<{ created: boolean }>;

  constructor(
    private readonly deps: RecipeCheckDeps,
    readonly sha256: string,
    readonly size: number,
    private readonly ids: readonly string[],
  ) {
    this.done = this.#run();
    this.done.catch(() => undefined); // a check nobody waits for any more must not be an unhandled rejection
  }

  /** Stops waiting for chunks (server shutdown): `done` rejects with 503 shutting_down. */
  stop(): void {
    this.#stopped = true;
  }

  async #run(): Promise<{ created: boolean }> {
    const chunks: RecipeChunk[] = [];
    const got = await hashLocated(this.deps.db, this.deps.objects, this.#windows(chunks), { buffers: 2 });
    if (this.hashedBytes !== this.size) throw new DigestMismatchError(`chunks add up to ${this.hashedBytes} bytes, recipe says ${this.size}`, { expected: this.size, actual: this.hashedBytes });
    if (got !== this.sha256) throw new DigestMismatchError(`chunks hash to ${got}, expected ${this.sha256}`, { expected: this.sha256, actual: got });
    return commitRecipe(this.deps.db, this.sha256, this.size, chunks, this.deps.now());
  }

  /** The recipe's locations one window at a time, each once all its chunks are stored. */
  async *#windows(chunks: RecipeChunk[]): AsyncGenerator<ChunkLocation[]> {
    for (let i = 0; i < this.ids.length; i += WINDOW) {
      const part = this.ids.slice(i, i + WINDOW);
      const where = await this.#stored(part, i);
      const locs = part.map((id) => where.get(id)!);
      for (const l of locs) {
        chunks.push({ id: l.id, size: l.raw_length });
        this.hashedBytes += l.raw_length;
      }
      // Past the declared size already: no point reading the rest.
      if (this.hashedBytes > this.size) throw new DigestMismatchError(`chunks add up to more than the ${this.size} bytes the recipe says`, { expected: this.size });
      yield locs;
    }
  }

  /** Locations of `part` (ids from `from` on), waiting until every one is stored. */
  async #stored(part: string[], from: number): Promise<Map<string, ChunkLocation>> {
    const { db, idleMs, arrivals } = this.deps;
    const where = await locate(db, part);
    let since = Date.now();
    for (;;) {
      const missing = [...new Set(part.filter((id) => !where.has(id)))];
      if (missing.length === 0) return where;
      if (this.#stopped) throw new StewardError('shutting_down', 'the server is shutting down; declare the recipe again', 503);
      if (Date.now() - since >= idleMs) {
        const rest = this.ids.slice(from);
        const have = await storedIds(db, rest);
        const gone = [...new Set(rest.filter((id) => !have.has(id)))];
        throw new ConflictError(`${gone.length} chunk(s) are not stored and none arrived for ${Math.round(idleMs / 1000)} s: upload them with POST /api/v1/chunks`, { missing: gone }, 'chunk_missing');
      }
      const before = arrivals.count;
      await arrivals.next(POLL_MS);
      const found = await locate(db, missing);
      for (const [id, l] of found) where.set(id, l);
      // Progress is a chunk of ours arriving, or this process still storing others (another file of the push first).
      if (found.size > 0 || arrivals.count !== before) since = Date.now();
    }
  }
}

/** The checks that may be waited for, one per distinct recipe; a settled check leaves. */
export class RecipeChecks {
  readonly #checks = new Map<string, RecipeCheck>();

  constructor(private readonly deps: RecipeCheckDeps) {}

  /** The running check of this recipe, a new one, or null when MAX_WAITING_CHECKS already run. */
  get(sha256: string, size: number, ids: readonly string[]): RecipeCheck | null {
    const key = `${sha256}:${size}:${createHash('sha256').update(ids.join(',')).digest('hex')}`;
    const running = this.#checks.get(key);
    if (running) return running;
    if (this.#checks.size >= MAX_WAITING_CHECKS) return null;
    const check = new RecipeCheck(this.deps, sha256, size, ids);
    this.#checks.set(key, check);
    const leave = () => this.#checks.delete(key);
    check.done.then(leave, leave);
    return check;
  }

  /** How many checks are running (at most MAX_WAITING_CHECKS). */
  get running(): number {
    return this.#checks.size;
  }

  /** The running check of a recipe of `sha256` and `size`, for a request that re-asks without the chunk list. */
  find(sha256: string, size: number): RecipeCheck | null {
    for (const c of this.#checks.values()) if (c.sha256 === sha256 && c.size === size) return c;
    return null;
  }

  /** Every waiting check stops (within one poll) instead of holding the process for its idle time. */
  close(): void {
    for (const c of this.#checks.values()) c.stop();
  }
}

/** `done`'s result, or null once `ms` passed first. */
export async function within<T>(done: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([done, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
