import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stewardHome } from './key-pin.ts';

/** Default cap of the chunk cache: 20 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 20 * 1024 ** 3;

/** `$STEWARD_HOME/cache/chunks` (STEWARD_HOME defaults to ~/.steward). */
export function defaultChunkCacheDir(env: Record<string, string | undefined> = process.env): string {
  return join(stewardHome(env), 'cache', 'chunks');
}

const ID = /^[0-9a-f]{64}$/;
/** Background mtime bumps in flight per cache (see read). */
const TOUCHES_IN_FLIGHT = 32;
/** stat calls in flight for hasMany and trim. */
const STATS_IN_FLIGHT = 64;

/**
 * Content-addressed chunk store on local disk: `<dir>/<id[0..2]>/<id>`, one file per chunk.
 *
 * Safe for several processes at once without locks: a chunk is written to a unique temp file and
 * renamed into place (atomic, and any two writers write identical bytes), so readers see a whole
 * chunk or none. Bytes are verified against the id on the way in and on the way out, so a
 * corrupted cache file is treated as absent, never trusted. Eviction (`trim`) is LRU by the
 * file's mtime, which `read` bumps (atime is unreliable on relatime/noatime mounts); a reader
 * racing an eviction sees "absent" and fetches again.
 *
 * @example
 * const cache = new ChunkCache(defaultChunkCacheDir(), { maxBytes: 5 * 1024 ** 3 });
 * if (!(await cache.has(id))) await cache.put(id, bytes);
 */
export class ChunkCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #touching = new Set<Promise<void>>();
  /** Shard directories this object made or found: a mkdir per chunk was a fifth of a pull's cache writes. */
  readonly #dirs = new Set<string>();

  constructor(dir: string, opts: { maxBytes?: number } = {}) {
    this.dir = dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  pathOf(id: string): string {
    if (!ID.test(id)) throw new Error(`not a chunk id: ${id}`);
    return join(this.dir, id.slice(0, 2), id);
  }

  async has(id: string): Promise<boolean> {
    return (await stat(this.pathOf(id)).catch(() => null))?.isFile() ?? false;
  }

  /** Stores `bytes` under `id` after checking they hash to it (throws otherwise). */
  async put(id: string, bytes: Uint8Array): Promise<void> {
    if (createHash('sha256').update(bytes).digest('hex') !== id) throw new Error(`chunk ${id}: bytes do not hash to the id`);
    const target = this.pathOf(id);
    const sub = join(this.dir, id.slice(0, 2));
    if (!this.#dirs.has(sub)) await this.#mkdir(sub);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, bytes, { flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await this.#mkdir(sub); // removed behind our back (someone cleared the cache): once more
        await writeFile(tmp, bytes, { flag: 'wx' });
      });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async #mkdir(sub: string): Promise<void> {
    await mkdir(sub, { recursive: true });
    this.#dirs.add(sub);
  }

  /**
   * The chunk's bytes (verified), or null if absent or corrupt. Its mtime (the LRU clock) is bumped
   * in the background, at most TOUCHES_IN_FLIGHT at once: a pull reads thousands of chunks in a
   * row, and waiting for each bump doubled the round trips to libuv's pool per chunk.
   */
  async read(id: string): Promise<Buffer | null> {
    const p = this.pathOf(id);
    const bytes = await readFile(p).catch(() => null);
    if (!bytes) return null;
    if (createHash('sha256').update(bytes).digest('hex') !== id) {
      await rm(p, { force: true });
      return null;
    }
    if (this.#touching.size >= TOUCHES_IN_FLIGHT) await Promise.race(this.#touching);
    const now = new Date();
    const touch: Promise<void> = utimes(p, now, now)
      .catch(() => undefined) // evicted meanwhile: fine, we have the bytes
      .finally(() => this.#touching.delete(touch));
    this.#touching.add(touch);
    return bytes;
  }

  /** Which of `ids` are cached (stat'ed a batch at a time, not one round trip after another). */
  async hasMany(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += STATS_IN_FLIGHT) {
      const part = ids.slice(i, i + STATS_IN_FLIGHT);
      const there = await Promise.all(part.map((id) => this.has(id)));
      part.forEach((id, k) => there[k] && found.add(id));
    }
    return found;
  }

  /** Resolves once every background mtime bump has finished (tests; trim waits for them too). */
  async settled(): Promise<void> {
    await Promise.all(this.#touching);
  }

  /**
   * Remembers the recipe of a file rebuilt from this cache (`<dir>/recipes/<sha256>.json`), so a
   * later pull can ask for its changed chunks as deltas against these chunks. Recipes are evicted
   * with the chunks (LRU); a lost one only costs a bigger download.
   */
  async putRecipe(recipe: { sha256: string; chunks: { id: string; size: number }[] }): Promise<void> {
    if (!ID.test(recipe.sha256)) throw new Error(`not a SHA-256: ${recipe.sha256}`);
    const dir = join(this.dir, 'recipes');
    await mkdir(dir, { recursive: true });
    const target = join(dir, `${recipe.sha256}.json`);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(recipe.chunks.map((c) => [c.id, c.size])), { flag: 'wx' });
    await rename(tmp, target);
  }

  /** Up to `limit` remembered recipes, most recently written first (unreadable ones skipped). */
  async recipes(limit = 8): Promise<{ id: string; size: number }[][]> {
    const dir = join(this.dir, 'recipes');
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
    const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
    const out: { id: string; size: number }[][] = [];
    for (const { n } of dated.sort((a, b) => b.t - a.t).slice(0, limit)) {
      const list = await readFile(join(dir, n), 'utf8').then((t) => JSON.parse(t) as [string, number][], () => null);
      if (Array.isArray(list)) out.push(list.filter((e) => Array.isArray(e) && ID.test(String(e[0])) && Number.isInteger(e[1])).map(([id, size]) => ({ id, size })));
    }
    return out;
  }

  /**
   * Evicts least recently used chunks until the cache holds at most `maxBytes`. Stale temp files
   * (a writer killed mid-write) older than an hour go too. Returns the bytes freed.
   */
  async trim(maxBytes = this.maxBytes): Promise<{ freedBytes: number; keptBytes: number }> {
    const files: { path: string; size: number; mtime: number }[] = [];
    const hourAgo = Date.now() - 3600_000;
    let freed = 0;
    await this.settled(); // a bump still in flight would make a chunk look older than it is
    for (const sub of await readdir(this.dir).catch(() => [] as string[])) {
      const names = await readdir(join(this.dir, sub)).catch(() => [] as string[]);
      for (let i = 0; i < names.length; i += STATS_IN_FLIGHT) {
        const part = names.slice(i, i + STATS_IN_FLIGHT).map((name) => join(this.dir, sub, name));
        const stats = await Promise.all(part.map((path) => stat(path).catch(() => null)));
        for (let k = 0; k < part.length; k++) {
          const st = stats[k];
          const path = part[k]!;
          if (!st?.isFile()) continue;
          if (path.endsWith('.tmp')) {
            if (st.mtimeMs < hourAgo) await rm(path, { force: true });
            continue;
          }
          files.push({ path, size: st.size, mtime: st.mtimeMs });
        }
      }
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= maxBytes) break;
      await rm(f.path, { force: true });
      total -= f.size;
      freed += f.size;
    }
    return { freedBytes: freed, keptBytes: total };
  }
}
