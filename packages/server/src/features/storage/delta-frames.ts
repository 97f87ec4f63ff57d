import { InvalidInputError } from '@steward/core';

/** Default budget of the delta frame cache: a LoRA step of a 256 MiB model answers ~40 MiB of them. */
export const DEFAULT_DELTA_CACHE_SIZE = 64 * 1024 * 1024;
/** Bookkeeping counted per entry on top of its key and bytes (Map slot, strings, Buffer object). */
const ENTRY_OVERHEAD = 128;

/** A frame no device asked for in this long may make room for a new one (see set). */
export const UNUSED_FOR_MS = 10 * 60 * 1000;
/** The same for a frame no second device ever asked for. */
export const NEVER_ASKED_AGAIN_MS = 60 * 1000;

interface Entry {
  frame: Buffer | null;
  /** Asked for again since it was remembered. */
  hit: boolean;
  /** Last remembered or asked for (ms). */
  at: number;
}

/**
 * Delta frames already computed, for the next device that asks. A delta pull has each changed
 * chunk zstd'd against the client's old bytes at the same place (its bases), and every device
 * updating from the same version asks for the same (chunk, bases) pairs. Building zstd's match
 * tables over a 64–256 KiB dictionary was most of that work (~40 % of the server's CPU on a LoRA
 * step), so a rollout to N devices paid it N times.
 *
 * Keys are the chunk id and its base ids, all content addresses: one key always stands for the same
 * bytes, so an entry never goes stale (GC may delete the chunks; the entry then just waits to be
 * evicted). Values are the compressed bytes, or null when the dictionary did not beat raw (that
 * answer is worth remembering too: it spares the next device the attempt). A budget of 0 turns
 * the cache off.
 *
 * Room is made from the least recently used end, but only out of frames that have gone unused:
 * for UNUSED_FOR_MS, or NEVER_ASKED_AGAIN_MS for one no second device asked for. When the oldest
 * frame is younger than that, the new one is not kept. Devices ask for a step's chunks in the same
 * order, and when a step's frames do not fit, plain LRU evicted every frame before the next device
 * asked for it (no hits at all); this way each device finds the part that fit, and a rollout that
 * has moved on frees its frames within minutes.
 */
export class DeltaFrameCache {
  readonly #entries = new Map<string, Entry>();
  /** Frames being computed: a device asking meanwhile waits for that one instead of computing it again. */
  readonly #computing = new Map<string, Promise<Buffer | null>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(
    readonly maxBytes = DEFAULT_DELTA_CACHE_SIZE,
    private readonly now: () => number = Date.now,
  ) {}

  static key(id: string, bases: readonly string[]): string {
    return `${id}<${bases.join(',')}`;
  }

  /** The remembered frame (null: the dictionary did not pay), or undefined when not known. */
  get(key: string): Buffer | null | undefined {
    const f = this.#lookup(key);
    if (f === undefined) this.#misses++;
    else this.#hits++;
    return f;
  }

  #lookup(key: string): Buffer | null | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    e.hit = true;
    e.at = this.now();
    this.#entries.delete(key); // re-inserted: Map order is recency order
    this.#entries.set(key, e);
    return e.frame;
  }

  /**
   * The frame of `key`: remembered, being computed for another request (waited for), or computed
   * now by `compute` and remembered. A rollout starts many devices at once, all asking for the same
   * frames before any is remembered.
   */
  async frame(key: string, compute: () => Promise<Buffer | null>): Promise<Buffer | null> {
    const remembered = this.#lookup(key); // null is an answer too ("no gain"): not ?? here
    const known = remembered === undefined ? this.#computing.get(key) : remembered;
    if (known !== undefined) {
      this.#hits++;
      return known;
    }
    this.#misses++;
    const p = compute()
      .then((f) => {
        this.set(key, f);
        return f;
      })
      .finally(() => this.#computing.delete(key));
    this.#computing.set(key, p);
    return p;
  }

  /** Remembers `frame` (copied to a buffer of its own size, so no larger allocation is pinned) if room can be made. */
  set(key: string, frame: Uint8Array | null): void {
    const size = entrySize(key, frame);
    // A key names its frame (the chunk and bases are content-addressed): one held is the same bytes.
    if (size > this.maxBytes || this.#entries.has(key)) return;
    const now = this.now();
    for (const [k, e] of this.#entries) {
      if (this.#bytes + size <= this.maxBytes) break;
      if (now - e.at < (e.hit ? UNUSED_FOR_MS : NEVER_ASKED_AGAIN_MS)) return; // the oldest is still in use: keep it, drop the new one
      this.#entries.delete(k);
      this.#bytes -= entrySize(k, e.frame);
    }
    let own: Buffer | null = null;
    if (frame) {
      own = Buffer.allocUnsafeSlow(frame.length);
      own.set(frame);
    }
    this.#entries.set(key, { frame: own, hit: false, at: now });
    this.#bytes += size;
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }
}

const entrySize = (key: string, frame: Uint8Array | null): number => key.length + (frame?.length ?? 0) + ENTRY_OVERHEAD;

/**
 * Budget of the delta frame cache in bytes: explicit option, else STEWARD_DELTA_CACHE_SIZE (bytes;
 * 0 turns it off), else 64 MiB. Read once when the app is built.
 */
export function resolveDeltaCacheSize(explicit?: number, env: Record<string, string | undefined> = process.env): number {
  const raw = explicit ?? (env.STEWARD_DELTA_CACHE_SIZE ? Number(env.STEWARD_DELTA_CACHE_SIZE) : DEFAULT_DELTA_CACHE_SIZE);
  if (!Number.isSafeInteger(raw) || raw < 0 || raw > 64 * 1024 * 1024 * 1024) {
    throw new InvalidInputError(`delta cache size must be an integer number of bytes between 0 and 64 GiB, got ${raw}`, { deltaCacheSize: raw }, 'invalid_config');
  }
  return raw;
}
