import { createHash, randomUUID } from 'node:crypto';
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

/** What a recipe must hash to: known from the start, or declared at the end of an open check. */
export interface RecipeTarget {
  sha256: string;
  size: number;
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
 *
 * An open check (`POST /recipe-checks`) starts before its file's digest is known: the push sends
 * chunk ids as its chunker finds them (`append`), the check hashes them meanwhile, and `declare`
 * gives the digest and size the client computed, which the check must then match. So the
 * server's hashing also overlaps the client's chunking. An open check that gets neither ids nor
 * its end for `idleMs` fails with 409 recipe_check_expired.
 */
export class RecipeCheck {
  /** Raw bytes of the recipe hashed or queued for hashing so far. */
  hashedBytes = 0;
  #stopped: StewardError | null = null;
  #target: RecipeTarget | null;
  #ids: string[];
  /** Wakes a check waiting for ids (an append, the declaration, a stop). */
  #more: (() => void) | null = null;
  /** Set by cancel: `done` rejects with 409 recipe_check_cancelled, having committed nothing. */
  #cancelled = false;
  readonly done: Promise<{ created: boolean }>;
  /** Whether `done` has settled. */
  settled = false;
  /** How many ids a settled open check had (its list is dropped). */
  #idCount = 0;

  constructor(
    private readonly deps: RecipeCheckDeps,
    ids: readonly string[],
    target: RecipeTarget | null,
  ) {
    const open = target === null;
    // An open check's list grows (a copy); a declared one's is the request's, as it is.
    this.#ids = open ? [...ids] : (ids as string[]);
    this.#target = target;
    this.done = this.#run();
    const settle = () => {
      this.settled = true;
      this.#idCount = this.#ids.length;
      if (open) this.#ids = []; // a settled open check stays findable a while: without its (up to ~80 MB of) ids
    };
    this.done.then(settle, settle); // also: a check nobody waits for any more must not be an unhandled rejection
  }

  /** The digest it must hash to ('' while an open check is not declared). */
  get sha256(): string {
    return this.#target?.sha256 ?? '';
  }

  /** The size it must add up to (-1 while an open check is not declared). */
  get size(): number {
    return this.#target?.size ?? -1;
  }

  /** Ids received so far. */
  get idCount(): number {
    return this.settled ? this.#idCount : this.#ids.length;
  }

  /** More ids of an open check, in file order. */
  append(ids: readonly string[]): void {
    if (this.#target) throw new ConflictError('this recipe check was declared complete: it takes no more chunk ids', { sha256: this.#target.sha256 }, 'recipe_check_declared');
    for (const id of ids) this.#ids.push(id);
    this.#wake();
  }

  /** The end of an open check: no more ids; the chunks must hash to `target`. */
  declare(target: RecipeTarget): void {
    if (this.#target) {
      if (this.#target.sha256 !== target.sha256 || this.#target.size !== target.size) {
        throw new ConflictError(`this recipe check was declared for blob ${this.#target.sha256} (${this.#target.size} bytes)`, { ...this.#target }, 'recipe_check_declared');
      }
      return;
    }
    this.#target = target;
    this.#wake();
  }

  /** Stops waiting for chunks (server shutdown): `done` rejects with 503 shutting_down. */
  stop(): void {
    this.#stopped ??= new StewardError('shutting_down', 'the server is shutting down; declare the recipe again', 503);
    this.#wake();
  }

  /** Ends the check without a commit (the blob is stored already, or its push gave up). */
  cancel(): void {
    this.#cancelled = true;
    this.#stopped ??= new StewardError('recipe_check_cancelled', 'this recipe check was cancelled: open a new one, or declare the whole recipe with PUT /api/v1/blobs/{sha256}/recipe', 409);
    this.#wake();
  }

  #wake(): void {
    const w = this.#more;
    this.#more = null;
    w?.();
  }

  async #run(): Promise<{ created: boolean }> {
    const chunks: RecipeChunk[] = [];
    let got: string;
    try {
      got = await hashLocated(this.deps.db, this.deps.objects, this.#windows(chunks), { buffers: 2 });
    } catch (err) {
      throw this.#cancelled ? this.#stopped : err;
    }
    if (this.#cancelled) throw this.#stopped;
    const { sha256, size } = this.#target!;
    if (this.hashedBytes !== size) throw new DigestMismatchError(`chunks add up to ${this.hashedBytes} bytes, recipe says ${size}`, { expected: size, actual: this.hashedBytes });
    if (got !== sha256) throw new DigestMismatchError(`chunks hash to ${got}, expected ${sha256}`, { expected: sha256, actual: got });
    return commitRecipe(this.deps.db, sha256, size, chunks, this.deps.now());
  }

  /** The recipe's locations one window at a time, each once all its chunks are stored. */
  async *#windows(chunks: RecipeChunk[]): AsyncGenerator<ChunkLocation[]> {
    for (let i = 0; ; ) {
      if (this.#stopped) throw this.#stopped;
      if (i >= this.#ids.length) {
        if (this.#target) return;
        await this.#moreIds();
        continue;
      }
      const part = this.#ids.slice(i, i + WINDOW);
      const where = await this.#stored(part, i);
      const locs = part.map((id) => where.get(id)!);
      for (const l of locs) {
        chunks.push({ id: l.id, size: l.raw_length });
        this.hashedBytes += l.raw_length;
      }
      // Past the declared size already: no point reading the rest.
      if (this.#target && this.hashedBytes > this.#target.size) throw new DigestMismatchError(`chunks add up to more than the ${this.#target.size} bytes the recipe says`, { expected: this.#target.size });
      i += part.length;
      yield locs;
    }
  }

  /** Waits for an open check's next ids or its declaration; 409 recipe_check_expired after idleMs of neither. */
  async #moreIds(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = await new Promise<boolean>((resolve) => {
      this.#more = () => resolve(false);
      timer = setTimeout(() => resolve(true), this.deps.idleMs);
    });
    clearTimeout(timer);
    this.#more = null;
    if (expired && !this.#target && !this.#stopped) {
      throw new ConflictError(
        `no chunk ids were added to this recipe check for ${Math.round(this.deps.idleMs / 1000)} s and its end was not declared: open a new check, or declare the whole recipe with PUT /api/v1/blobs/{sha256}/recipe`,
        { chunks: this.#ids.length },
        'recipe_check_expired',
      );
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
      if (this.#stopped) throw this.#stopped;
      if (Date.now() - since >= idleMs) {
        const rest = this.#ids.slice(from);
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

/** The checks that may be waited for, one per distinct recipe, and the open ones by id; a settled check leaves. */
export class RecipeChecks {
  readonly #checks = new Map<string, RecipeCheck>();
  readonly #open = new Map<string, RecipeCheck>();

  constructor(private readonly deps: RecipeCheckDeps) {}

  /** The running check of this recipe, a new one, or null when MAX_WAITING_CHECKS already run. */
  get(sha256: string, size: number, ids: readonly string[]): RecipeCheck | null {
    const key = `${sha256}:${size}:${createHash('sha256').update(ids.join(',')).digest('hex')}`;
    const running = this.#checks.get(key);
    if (running) return running;
    if (this.running >= MAX_WAITING_CHECKS) return null;
    const check = new RecipeCheck(this.deps, ids, { sha256, size });
    this.#checks.set(key, check);
    const leave = () => this.#checks.delete(key);
    check.done.then(leave, leave);
    return check;
  }

  /** A new open check (its digest declared later) and its id, or null when MAX_WAITING_CHECKS already run. */
  open(ids: readonly string[]): { id: string; check: RecipeCheck } | null {
    if (this.running >= MAX_WAITING_CHECKS) return null;
    const id = randomUUID();
    const check = new RecipeCheck(this.deps, ids, null);
    this.#open.set(id, check);
    // A settled open check stays findable a little while, so a re-ask after its last 202 gets its outcome.
    const leave = () => setTimeout(() => this.#open.delete(id), SETTLED_KEEP_MS).unref();
    check.done.then(leave, leave);
    return { id, check };
  }

  /** The open check `id`, running or settled moments ago. */
  byId(id: string): RecipeCheck | null {
    return this.#open.get(id) ?? null;
  }

  /** How many checks are running (at most MAX_WAITING_CHECKS). */
  get running(): number {
    let open = 0;
    for (const c of this.#open.values()) if (!c.settled) open++;
    return this.#checks.size + open;
  }

  /** The running check of a recipe of `sha256` and `size`, for a request that re-asks without the chunk list. */
  find(sha256: string, size: number): RecipeCheck | null {
    for (const c of this.#checks.values()) if (c.sha256 === sha256 && c.size === size) return c;
    return null;
  }

  /** Every waiting check stops (within one poll) instead of holding the process for its idle time. */
  close(): void {
    for (const c of this.#checks.values()) c.stop();
    for (const c of this.#open.values()) c.stop();
  }
}

/** How long a settled open check stays findable by its id (ms). */
const SETTLED_KEEP_MS = 60_000;

/** `done`'s result, or null once `ms` passed first. */
export async function within<T>(done: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([done, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
