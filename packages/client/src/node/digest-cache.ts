import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stewardHome } from './key-pin.ts';
import { writeFileAtomic } from './write-atomic.ts';

/** `$STEWARD_HOME/cache/digests.json`. */
export function defaultDigestCacheFile(env: Record<string, string | undefined> = process.env): string {
  return join(stewardHome(env), 'cache', 'digests.json');
}

/** Entries kept, most recently recorded first. */
const MAX_ENTRIES = 20_000;
/**
 * A file changed less than this long before it was read may change again within the same mtime
 * tick unnoticed (git's "racily clean" case): its digest is not remembered.
 */
const RACY_MS = 2000;

interface Entry {
  /** device, inode, size, mtime ns, ctime ns: all must match for the digest to stand. */
  key: string;
  sha256: string;
}

/** What identifies a file's content without reading it, as far as the file system tells. */
function statKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * Remembers the SHA-256 of files pushed from this machine by path and stat (device, inode, size,
 * modification and change times to the nanosecond, as git's index does), so the next push of an
 * unchanged file need not read it again. Any write to a file changes its ctime, which no tool can
 * set back, so a stale digest needs the file system itself to lie. Files modified within two
 * seconds of being read are not remembered (one tick of a coarse clock could hide a second write).
 * The cache is a hint: a lost or damaged file only means files are read again.
 *
 * @example
 * const digests = await DigestCache.open(defaultDigestCacheFile());
 * const known = await digests.lookup('/models/w.bin'); // sha256 or undefined
 */
export class DigestCache {
  readonly #entries: Map<string, Entry>;
  #dirty = false;

  private constructor(
    readonly file: string,
    entries: Map<string, Entry>,
    private readonly racyNs: bigint,
  ) {
    this.#entries = entries;
  }

  /** `racyMs`: how recent a change makes a file too fresh to remember (tests set 0). */
  static async open(file: string, opts: { racyMs?: number } = {}): Promise<DigestCache> {
    const entries = new Map<string, Entry>();
    const parsed = await readFile(file, 'utf8')
      .then((t) => JSON.parse(t) as unknown)
      .catch(() => null); // absent or damaged: start empty
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      for (const [path, e] of Object.entries(parsed as Record<string, Partial<Entry>>)) {
        if (typeof e?.key === 'string' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) entries.set(path, { key: e.key, sha256: e.sha256 });
      }
    }
    return new DigestCache(file, entries, BigInt(opts.racyMs ?? RACY_MS) * 1_000_000n);
  }

  /** The file's stat as the cache compares it (take it before reading the file). */
  static stat(absPath: string): Promise<BigIntStats> {
    return stat(absPath, { bigint: true });
  }

  /** The remembered digest of `absPath`, if the file is as it was when it was recorded. */
  async lookup(absPath: string): Promise<string | undefined> {
    const e = this.#entries.get(absPath);
    if (!e) return undefined;
    const st = await DigestCache.stat(absPath).catch(() => null);
    return st && statKey(st) === e.key ? e.sha256 : undefined;
  }

  /**
   * Records `sha256` for `absPath` as read between the stats `before` and `after`: only if the
   * file did not change meanwhile and had not changed just before.
   */
  record(absPath: string, before: BigIntStats, after: BigIntStats, sha256: string): void {
    if (statKey(before) !== statKey(after)) return;
    const now = BigInt(Date.now()) * 1_000_000n;
    if (now - before.mtimeNs < this.racyNs || now - before.ctimeNs < this.racyNs) return;
    this.#entries.delete(absPath); // re-inserted last: the map's order is oldest first
    this.#entries.set(absPath, { key: statKey(before), sha256 });
    this.#dirty = true;
  }

  /** Writes the cache (whole, via a temp file and a rename) if anything was recorded. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const entries = [...this.#entries].slice(-MAX_ENTRIES);
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(entries)));
    this.#dirty = false;
  }
}
