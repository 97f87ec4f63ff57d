import { createHash, randomBytes } from 'node:crypto';
import { readSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DigestMismatchError } from '@steward/core';
import { stewardHome } from './key-pin.ts';
import { writeFileAtomic } from './write-atomic.ts';
import { footerBytes, footerCount, footerLength, parseFooter, type SegmentEntry } from './chunk-segment.ts';

/** Default cap of the chunk cache: 20 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 20 * 1024 ** 3;

/** `$STEWARD_HOME/cache/chunks` (STEWARD_HOME defaults to ~/.steward). */
export function defaultChunkCacheDir(env: Record<string, string | undefined> = process.env): string {
  return join(stewardHome(env), 'cache', 'chunks');
}

const ID = /^[0-9a-f]{64}$/;
/** Remembered recipes `trim` keeps, most recent first (a pull looks at the 8 newest). */
export const RECIPES_KEPT = 32;
/** Background mtime bumps in flight per cache (see read). */
const TOUCHES_IN_FLIGHT = 32;
/** Segment files opened or stat'ed at once when the index is (re)loaded and trimmed. */
const FILES_IN_FLIGHT = 32;
/** Another process's new segments are looked for at most this often (a readdir each time). */
const RESCAN_MS = 1000;
/** Open segment files a reader keeps (each one an fd). */
const READER_HANDLES = 64;

interface Located {
  seg: string;
  offset: number;
  length: number;
}

/**
 * Content-addressed chunk store on local disk, in segment files: `<dir>/segments/<name>.seg`
 * holds the chunks of one fetch batch (~16 MiB) back to back, then a footer listing their ids
 * and lengths. One file per chunk (the layout before) cost an inode creation, a rename and, on
 * every read, an open, fstat, close and mtime bump per 64 KiB: on ext4 that was about a third of
 * a pull's CPU.
 *
 * Safe for several processes at once without locks: a segment is written to a temp file and
 * renamed into place once whole, so readers see all of it or none, and is never changed after.
 * Each process keeps an index (chunk id → segment, offset, length) loaded from the footers and
 * rescans the directory for other processes' segments at most once a second. Bytes are verified
 * against the id on the way in. Reads verify too, except `trusted` reads by callers that check
 * a digest over the whole result (a rebuilt file against its signed manifest); a segment found
 * corrupt is deleted, so its chunks count as absent and are fetched again. Eviction (`trim`) is
 * LRU by whole segment, by mtime, which a read bumps once per segment and process (atime is
 * unreliable on relatime/noatime mounts); a reader racing an eviction sees "absent".
 *
 * @example
 * const cache = new ChunkCache(defaultChunkCacheDir(), { maxBytes: 5 * 1024 ** 3 });
 * if (!(await cache.has(id))) await cache.put(id, bytes);
 */
export class ChunkCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly #index = new Map<string, Located>();
  /** Segments known to this process, with their chunk ids (to forget them when one goes). */
  readonly #segments = new Map<string, string[]>();
  readonly #bumped = new Set<string>();
  readonly #touching = new Set<Promise<void>>();
  #scan: Promise<void> | null = null;
  #scannedAt = -Infinity;
  #segDirMade = false;

  constructor(dir: string, opts: { maxBytes?: number } = {}) {
    this.dir = dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  get segmentDir(): string {
    return join(this.dir, 'segments');
  }

  async has(id: string): Promise<boolean> {
    await this.#rescan();
    return this.#index.has(checkId(id));
  }

  /** Which of `ids` are cached. */
  async hasMany(ids: readonly string[]): Promise<Set<string>> {
    await this.#rescan();
    return new Set(ids.filter((id) => this.#index.has(id)));
  }

  /** Stores `bytes` under `id` after checking they hash to it (throws otherwise): a segment of one. */
  async put(id: string, bytes: Uint8Array): Promise<void> {
    const w = await this.writer();
    try {
      await w.add(id, bytes);
    } catch (err) {
      await w.abort();
      throw err;
    }
    await w.commit();
  }

  /** A new segment to append verified chunks to; `commit` makes them visible at once. */
  async writer(): Promise<SegmentWriter> {
    const name = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.seg`;
    const tmp = join(this.segmentDir, `${name}.tmp`);
    if (!this.#segDirMade) await this.#mkdir();
    const fh = await open(tmp, 'wx').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await this.#mkdir(); // removed behind our back (someone cleared the cache): once more
      return open(tmp, 'wx');
    });
    return new SegmentWriter(fh, tmp, join(this.segmentDir, name), (entries) => this.#learn(name, entries));
  }

  async #mkdir(): Promise<void> {
    await mkdir(this.segmentDir, { recursive: true });
    this.#segDirMade = true;
  }

  /** The chunk's bytes (verified unless `trusted`), or null if absent or corrupt. */
  async read(id: string, opts: { trusted?: boolean } = {}): Promise<Buffer | null> {
    const r = this.reader();
    try {
      return await r.read(id, opts);
    } finally {
      await r.close();
    }
  }

  /** Reads many chunks keeping segment files open; close it when done. */
  reader(): ChunkReader {
    return new ChunkReader(this);
  }

  /**
   * Reads every one of `ids` verified (segments found corrupt are deleted) and returns those
   * that are not, or no longer, cached.
   */
  async check(ids: readonly string[]): Promise<string[]> {
    const r = this.reader();
    const missing: string[] = [];
    try {
      for (const id of new Set(ids)) if (!(await r.read(id))) missing.push(id);
    } finally {
      await r.close();
    }
    return missing;
  }

  /** Where `id` is, looking for other processes' segments first if it is not known here. */
  async locate(id: string): Promise<Located | undefined> {
    checkId(id);
    if (!this.#index.has(id)) await this.#rescan();
    return this.#index.get(id);
  }

  /** A segment that cannot be read or holds bytes that do not match their ids: gone for everyone. */
  async dropSegment(seg: string): Promise<void> {
    this.forget(seg);
    await rm(join(this.segmentDir, seg), { force: true });
  }

  /** Bumps a segment's mtime (the LRU clock) once per process, in the background. */
  async touch(seg: string): Promise<void> {
    if (this.#bumped.has(seg)) return;
    this.#bumped.add(seg);
    if (this.#touching.size >= TOUCHES_IN_FLIGHT) await Promise.race(this.#touching);
    const now = new Date();
    const touch: Promise<void> = utimes(join(this.segmentDir, seg), now, now)
      .catch(() => undefined) // evicted meanwhile: fine, the reader has its bytes or sees a miss
      .finally(() => this.#touching.delete(touch));
    this.#touching.add(touch);
  }

  /** Resolves once every background mtime bump has finished (tests; trim waits for them too). */
  async settled(): Promise<void> {
    await Promise.all(this.#touching);
  }

  /** Loads footers of segments this process does not know yet (all of them the first time). */
  async #rescan(): Promise<void> {
    if (this.#scan) return this.#scan;
    if (performance.now() - this.#scannedAt < RESCAN_MS) return;
    this.#scan = (async () => {
      try {
        const names = (await readdir(this.segmentDir).catch(() => [] as string[])).filter((n) => n.endsWith('.seg') && !this.#segments.has(n));
        for (let i = 0; i < names.length; i += FILES_IN_FLIGHT) {
          const part = names.slice(i, i + FILES_IN_FLIGHT);
          const footers = await Promise.all(part.map((n) => this.#readFooter(n)));
          part.forEach((n, k) => {
            const entries = footers[k];
            if (entries) this.#learn(n, entries);
          });
        }
        this.#scannedAt = performance.now();
      } finally {
        this.#scan = null;
      }
    })();
    return this.#scan;
  }

  /** A segment's entries, or null if it is gone or not a whole segment (then it is removed). */
  async #readFooter(name: string): Promise<SegmentEntry[] | null> {
    const path = join(this.segmentDir, name);
    const fh = await open(path, 'r').catch(() => null);
    if (!fh) return null;
    try {
      const { size } = await fh.stat();
      const tailLen = Math.min(size, 64 * 1024);
      let tail = Buffer.allocUnsafe(tailLen);
      await fh.read(tail, 0, tailLen, size - tailLen);
      let entries = parseFooter(tail, size);
      if (entries === 'short') {
        const len = Math.min(size, footerLength(footerCount(tail)));
        tail = Buffer.allocUnsafe(len);
        await fh.read(tail, 0, len, size - len);
        entries = parseFooter(tail, size);
      }
      if (entries === 'short' || entries === null) {
        await rm(path, { force: true }); // renamed into place only when whole: damaged since
        return null;
      }
      return entries;
    } catch {
      return null;
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  #learn(seg: string, entries: SegmentEntry[]): void {
    this.#segments.set(
      seg,
      entries.map((e) => e.id),
    );
    for (const e of entries) if (!this.#index.has(e.id)) this.#index.set(e.id, { seg, offset: e.offset, length: e.length });
  }

  /** Drops a segment from this process's index (another process evicted it). */
  forget(seg: string): void {
    for (const id of this.#segments.get(seg) ?? []) if (this.#index.get(id)?.seg === seg) this.#index.delete(id);
    this.#segments.delete(seg);
  }

  /**
   * Remembers the recipe of a file rebuilt from this cache (`<dir>/recipes/<sha256>.json`), so a
   * later pull can ask for its changed chunks as deltas against these chunks. Recipes are evicted
   * by `trim` beyond the most recent few; a lost one only costs a bigger download.
   */
  async putRecipe(recipe: { sha256: string; chunks: { id: string; size: number }[] }): Promise<void> {
    if (!ID.test(recipe.sha256)) throw new Error(`not a SHA-256: ${recipe.sha256}`);
    await mkdir(this.#recipeDir, { recursive: true });
    await writeFileAtomic(join(this.#recipeDir, `${recipe.sha256}.json`), JSON.stringify(recipe.chunks.map((c) => [c.id, c.size])));
  }

  /** Up to `limit` remembered recipes, most recently written first (unreadable ones skipped). */
  async recipes(limit = 8): Promise<{ id: string; size: number }[][]> {
    const out: { id: string; size: number }[][] = [];
    for await (const r of this.eachRecipe(limit)) out.push(r);
    return out;
  }

  /** The same, read one at a time (a 4 GiB file's recipe is ~4 MB of JSON: stop reading once you have found one). */
  async *eachRecipe(limit = 8): AsyncGenerator<{ id: string; size: number }[]> {
    for (const { name } of (await this.#recipeFiles()).slice(0, limit)) {
      const list = await readFile(join(this.#recipeDir, name), 'utf8').then((t) => JSON.parse(t) as [string, number][], () => null);
      if (Array.isArray(list)) yield list.filter((e) => Array.isArray(e) && ID.test(String(e[0])) && Number.isInteger(e[1])).map(([id, size]) => ({ id, size }));
    }
  }

  /** What the cache holds: segment files, distinct chunks, their bytes on disk, remembered recipes. */
  async stats(): Promise<{ segments: number; chunks: number; bytes: number; recipes: number }> {
    await this.#rescan();
    const sizes = new Map((await filesIn(this.segmentDir)).map((f) => [f.name, f.size]));
    let bytes = 0;
    for (const seg of [...this.#segments.keys()]) {
      const size = sizes.get(seg);
      if (size === undefined) this.forget(seg); // evicted by another process
      else bytes += size;
    }
    return { segments: this.#segments.size, chunks: this.#index.size, bytes, recipes: (await this.#recipeFiles()).length };
  }

  /**
   * Evicts least recently used segments until the cache holds at most `maxBytes`. Stale temp
   * files (a writer killed mid-write) older than an hour go too, and so does the one-file-per-
   * chunk layout of older clients (`<dir>/<2 hex>/`). Remembered recipes beyond the
   * RECIPES_KEPT most recent go as well (none with `maxBytes` 0). Returns the bytes freed and kept.
   */
  async trim(maxBytes = this.maxBytes): Promise<{ freedBytes: number; keptBytes: number }> {
    const hourAgo = Date.now() - 3600_000;
    await this.#trimRecipes(maxBytes === 0 ? 0 : RECIPES_KEPT, hourAgo);
    let freed = 0;
    await this.settled(); // a bump still in flight would make a segment look older than it is
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (/^[0-9a-f]{2}$/.test(name)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    const files: FileInfo[] = [];
    for (const f of await filesIn(this.segmentDir)) {
      if (f.name.endsWith('.tmp')) {
        if (f.mtime < hourAgo) await rm(join(this.segmentDir, f.name), { force: true });
      } else if (f.name.endsWith('.seg')) files.push(f);
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= maxBytes) break;
      await this.dropSegment(f.name);
      total -= f.size;
      freed += f.size;
    }
    return { freedBytes: freed, keptBytes: total };
  }

  async #trimRecipes(keep: number, staleTempsBefore: number): Promise<void> {
    const files = await filesIn(this.#recipeDir);
    const stale = [...newestRecipesFirst(files).slice(keep), ...files.filter((f) => f.name.endsWith('.tmp') && f.mtime < staleTempsBefore)];
    await Promise.all(stale.map((f) => rm(join(this.#recipeDir, f.name), { force: true })));
  }

  get #recipeDir(): string {
    return join(this.dir, 'recipes');
  }

  /** Remembered recipe files, most recently written first. */
  async #recipeFiles(): Promise<FileInfo[]> {
    return newestRecipesFirst(await filesIn(this.#recipeDir));
  }
}

function newestRecipesFirst(files: FileInfo[]): FileInfo[] {
  return files.filter((f) => f.name.endsWith('.json')).sort((a, b) => b.mtime - a.mtime);
}

interface FileInfo {
  name: string;
  size: number;
  mtime: number;
}

/** The plain files in `dir` (none if it is missing), stat'ed FILES_IN_FLIGHT at a time. */
async function filesIn(dir: string): Promise<FileInfo[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: FileInfo[] = [];
  for (let i = 0; i < names.length; i += FILES_IN_FLIGHT) {
    const part = names.slice(i, i + FILES_IN_FLIGHT);
    const stats = await Promise.all(part.map((n) => stat(join(dir, n)).catch(() => null)));
    part.forEach((name, k) => {
      const st = stats[k];
      if (st?.isFile()) out.push({ name, size: st.size, mtime: st.mtimeMs });
    });
  }
  return out;
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new Error(`not a chunk id: ${id}`);
  return id;
}

/**
 * Appends chunks to a temp segment file; `commit` writes the footer and renames it into place,
 * `abort` removes it. Writes may run concurrently: each chunk's offset is fixed when it is added.
 */
export class SegmentWriter {
  readonly #entries: SegmentEntry[] = [];
  readonly #writes = new Set<Promise<void>>();
  #end = 0;
  #done = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly tmp: string,
    private readonly target: string,
    private readonly onCommit: (entries: SegmentEntry[]) => void,
  ) {}

  /** Verifies `bytes` against `id` (throws if they differ) and writes them; resolves once written. */
  add(id: string, bytes: Uint8Array): Promise<void> {
    checkId(id);
    if (this.#done) return Promise.reject(new Error('segment already committed or aborted'));
    if (createHash('sha256').update(bytes).digest('hex') !== id) return Promise.reject(new DigestMismatchError(`chunk ${id}: bytes do not hash to the id`, { id }));
    const offset = this.#end;
    this.#end += bytes.length;
    const entry = { id, offset, length: bytes.length };
    const write: Promise<void> = this.fh
      .write(bytes, 0, bytes.length, offset)
      .then(({ bytesWritten }) => {
        if (bytesWritten !== bytes.length) throw new Error(`${this.tmp}: wrote ${bytesWritten} of ${bytes.length} bytes`);
        this.#entries.push(entry);
      })
      .finally(() => this.#writes.delete(write));
    this.#writes.add(write);
    return write;
  }

  /**
   * Makes the chunks written so far visible (a chunk whose write failed is left out; its bytes are
   * then a hole the footer does not name) and returns their ids. With none written, the same as abort.
   */
  async commit(): Promise<string[]> {
    await Promise.allSettled(this.#writes);
    if (this.#done) return [];
    if (this.#entries.length === 0) {
      await this.abort();
      return [];
    }
    this.#done = true;
    try {
      this.#entries.sort((a, b) => a.offset - b.offset);
      const footer = footerBytes(this.#entries);
      const { bytesWritten } = await this.fh.write(footer, 0, footer.length, this.#end);
      if (bytesWritten !== footer.length) throw new Error(`${this.tmp}: short footer write`);
      await this.fh.close();
      await rename(this.tmp, this.target);
    } catch (err) {
      await this.fh.close().catch(() => undefined);
      await rm(this.tmp, { force: true });
      throw err;
    }
    this.onCommit(this.#entries);
    return this.#entries.map((e) => e.id);
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.#writes);
    if (this.#done) return;
    this.#done = true;
    await this.fh.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }
}

/** Reads chunks, keeping up to READER_HANDLES segment files open until `close`. */
export class ChunkReader {
  readonly #handles = new Map<string, { fh: Promise<FileHandle | null>; users: number }>();

  constructor(private readonly cache: ChunkCache) {}

  /**
   * The chunk's bytes, verified unless `trusted` (whose caller checks a digest over the whole).
   * With `into`, read into it (its length must be the chunk's, else this is a miss) and return it.
   * `blocking` reads with one blocking call on this thread instead of a round trip to libuv's pool
   * (for a small file's few chunks, just cached: the page cache answers in microseconds).
   */
  async read(id: string, opts: { trusted?: boolean; into?: Buffer; blocking?: boolean } = {}): Promise<Buffer | null> {
    const at = await this.cache.locate(id);
    if (!at || (opts.into && opts.into.length !== at.length)) return null;
    const h = this.#open(at.seg);
    h.users++;
    let bytes: Buffer;
    try {
      const fh = await h.fh;
      if (!fh) {
        if (this.#handles.get(at.seg) === h) this.#handles.delete(at.seg); // try again next time
        return null; // evicted by another process (forgotten), or out of fds for now
      }
      bytes = opts.into ?? Buffer.allocUnsafe(at.length);
      const bytesRead = opts.blocking ? readSync(fh.fd, bytes, 0, at.length, at.offset) : (await fh.read(bytes, 0, at.length, at.offset)).bytesRead;
      if (bytesRead !== at.length) bytes = Buffer.alloc(0); // shorter than its footer says: damaged
    } catch {
      return null; // an I/O error is not proof of damage: absent for this read only
    } finally {
      h.users--;
    }
    if (bytes.length !== at.length || (!opts.trusted && createHash('sha256').update(bytes).digest('hex') !== id)) {
      await this.#close(at.seg);
      await this.cache.dropSegment(at.seg);
      return null;
    }
    await this.cache.touch(at.seg);
    return bytes;
  }

  #open(seg: string): { fh: Promise<FileHandle | null>; users: number } {
    let h = this.#handles.get(seg);
    if (h) {
      this.#handles.delete(seg); // re-inserted last: the map's order is least recently used first
      this.#handles.set(seg, h);
      return h;
    }
    if (this.#handles.size >= READER_HANDLES) {
      for (const [name, old] of this.#handles) {
        if (old.users > 0) continue;
        void this.#close(name);
        break;
      }
    }
    h = {
      fh: open(join(this.cache.segmentDir, seg), 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') this.cache.forget(seg);
        return null;
      }),
      users: 0,
    };
    this.#handles.set(seg, h);
    return h;
  }

  async #close(seg: string): Promise<void> {
    const h = this.#handles.get(seg);
    if (!h) return;
    this.#handles.delete(seg);
    await (await h.fh)?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#handles.keys()].map((s) => this.#close(s)));
  }
}
