import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat as fsStat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { ConflictError, NotFoundError } from '@steward/core';
import { assertRangeInside, assertRangeShape } from './byte-range.ts';
import { RESERVED_TEMP_SEGMENT, assertValidKey, assertValidPrefix, compareKeys } from './object-key.ts';
import type { ObjectStat, ObjectStore, PutOptions, PutResult } from './object-store.ts';
import { PutDigest, iterateBody, type PutBody } from './put-body.ts';

export interface FileObjectStore extends ObjectStore {
  readonly kind: 'file';
  readonly rootDir: string;
  /**
   * Deletes temp files (from puts interrupted by a crash) last modified more than `olderThanMs`
   * before `now` (ms since epoch). Returns how many were removed. Pick an age well above the
   * longest upload, since live puts write there too.
   */
  sweepTemp(olderThanMs: number, now?: number): Promise<number>;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** ENOENT, or a path component that is a file (ENOTDIR): either way the key is not there. */
function isMissing(err: unknown): boolean {
  return errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR';
}

/**
 * Durability after a rename: the new name lives in `dir`, and each directory mkdir just created
 * lives in its parent, so all of those must reach the disk too.
 */
const WRITEV_BYTES = 1 << 20;
/** Under every platform's IOV_MAX (1024 on Linux). */
const WRITEV_PIECES = 256;

/** writev until every byte of `pieces` is written (a writev may write less than asked). */
async function writeAll(fh: FileHandle, pieces: Buffer[]): Promise<void> {
  let left = pieces;
  for (;;) {
    const total = left.reduce((n, b) => n + b.byteLength, 0);
    const { bytesWritten } = await fh.writev(left);
    if (bytesWritten >= total) return;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of left) {
      if (skip >= b.byteLength) skip -= b.byteLength;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    left = rest;
  }
}

async function fsyncDirs(dir: string, firstCreated: string | undefined): Promise<void> {
  await fsyncDir(dir);
  if (firstCreated === undefined) return;
  const top = dirname(firstCreated);
  for (let d = dirname(dir); ; d = dirname(d)) {
    await fsyncDir(d);
    if (d.length <= top.length) break;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Objects are plain files at `rootDir/<key>`; a put streams into `rootDir/.tmp/<uuid>` and is
 * renamed into place once verified and fsynced, so readers see all of an object or nothing.
 * Limitation: `a` and `a/b` cannot both exist (a file cannot be a directory); that put fails with
 * ConflictError `object_key_conflict`. Empty directories left by deletes are kept (cheap, and
 * removing them would race with concurrent puts into the same directory).
 */
export function createFileObjectStore(rootDir: string): FileObjectStore {
  const root = resolve(rootDir);
  const tmpDir = join(root, RESERVED_TEMP_SEGMENT);
  const pathOf = (key: string): string => {
    assertValidKey(key);
    return join(root, ...key.split('/'));
  };

  async function put(key: string, body: PutBody, opts: PutOptions = {}): Promise<PutResult> {
    const target = pathOf(key);
    const digest = new PutDigest(key, opts);
    opts.signal?.throwIfAborted();
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${randomUUID()}.part`);
    const fh = await open(tmp, 'wx', 0o644);
    let committed = false;
    try {
      let result: PutResult;
      try {
        // Pieces go to disk in one writev per ~1 MiB: a pack arrives as one piece per chunk, and a
        // FileHandle.write per 64 KiB piece cost ~5x the CPU of writev (measured: 160 MiB in
        // 64 KiB pieces, 434–714 ms against 53–130 ms).
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        for await (const chunk of iterateBody(body, opts.signal)) {
          digest.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= WRITEV_BYTES || pending.length >= WRITEV_PIECES) {
            await writeAll(fh, pending);
            pending = [];
            pendingBytes = 0;
          }
        }
        if (pending.length) await writeAll(fh, pending);
        result = digest.finish();
        await fh.sync();
      } finally {
        await fh.close();
      }
      opts.signal?.throwIfAborted();
      const created = await moveIntoPlace(key, tmp, target);
      committed = true;
      await fsyncDirs(dirname(target), created);
      return result;
    } finally {
      if (!committed) await rm(tmp, { force: true });
    }
  }

  /** mkdir -p + atomic rename; returns the first directory mkdir created, if any. */
  async function moveIntoPlace(key: string, tmp: string, target: string): Promise<string | undefined> {
    try {
      const firstCreated = await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      return firstCreated;
    } catch (err) {
      const c = errCode(err);
      if (c === 'ENOTDIR' || c === 'EEXIST' || c === 'EISDIR') {
        throw new ConflictError(
          `object key ${JSON.stringify(key)} clashes with an existing key that is its prefix or extends it`,
          { key },
          'object_key_conflict',
        );
      }
      throw err;
    }
  }

  async function openForRead(key: string) {
    const path = pathOf(key);
    const fh = await open(path, 'r').catch((err: unknown) => {
      if (isMissing(err)) throw notFound(key);
      throw err;
    });
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      throw notFound(key);
    }
    return { fh, size: st.size };
  }

  function stream(rs: Readable, signal?: AbortSignal): Readable {
    return signal ? addAbortSignal(signal, rs) : rs;
  }

  async function stat(key: string): Promise<ObjectStat | null> {
    try {
      const st = await fsStat(pathOf(key));
      return st.isFile() ? { key, size: st.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * Depth-first walk with siblings ordered by `name` for files and `name + "/"` for directories:
   * every key under directory `d` starts with `d/`, so this visits keys in global sorted order
   * without holding the whole listing in memory.
   */
  async function* walk(dirRel: string, prefix: string): AsyncGenerator<ObjectStat> {
    let entries;
    try {
      entries = await readdir(dirRel === '' ? root : join(root, ...dirRel.split('/')), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    const named = entries
      .filter((e) => !(dirRel === '' && e.name === RESERVED_TEMP_SEGMENT) && (e.isFile() || e.isDirectory()))
      .map((e) => ({ rel: dirRel + e.name + (e.isDirectory() ? '/' : ''), isDir: e.isDirectory() }))
      .sort((a, b) => compareKeys(a.rel, b.rel));
    for (const e of named) {
      if (e.isDir) {
        // Descend only where the prefix can still match.
        if (e.rel.startsWith(prefix) || prefix.startsWith(e.rel)) yield* walk(e.rel, prefix);
      } else if (e.rel.startsWith(prefix)) {
        const st = await stat(e.rel);
        if (st) yield st;
      }
    }
  }

  return {
    kind: 'file',
    rootDir: root,
    put,
    async get(key, opts) {
      opts?.signal?.throwIfAborted();
      const { fh } = await openForRead(key);
      return stream(fh.createReadStream(), opts?.signal);
    },
    async getRange(key, start, end, opts) {
      assertRangeShape(key, start, end);
      opts?.signal?.throwIfAborted();
      const { fh, size } = await openForRead(key);
      try {
        assertRangeInside(key, start, end, size);
      } catch (err) {
        await fh.close();
        throw err;
      }
      // One piece per range up to 8 MiB (default 64 KiB): a pack run (≤ 8 MiB) arrives in one read,
      // so its reader needs no concatenation (copying every verified byte was 9 % of a push's server CPU).
      return stream(fh.createReadStream({ start, end, highWaterMark: Math.min(end - start + 1, 8 << 20) }), opts?.signal);
    },
    async readInto(key, start, out) {
      const end = start + out.length - 1;
      assertRangeShape(key, start, end);
      const { fh, size } = await openForRead(key);
      try {
        assertRangeInside(key, start, end, size);
        for (let at = 0; at < out.length; ) {
          const { bytesRead } = await fh.read(out, at, out.length - at, start + at);
          if (bytesRead === 0) throw new Error(`object ${key} ended at byte ${start + at} while being read`);
          at += bytesRead;
        }
      } finally {
        await fh.close();
      }
    },
    async has(key) {
      return (await stat(key)) !== null;
    },
    stat,
    async *list(prefix) {
      assertValidPrefix(prefix);
      // Start at the deepest directory the prefix names entirely.
      const cut = prefix.lastIndexOf('/');
      yield* walk(cut < 0 ? '' : prefix.slice(0, cut + 1), prefix);
    },
    async delete(key) {
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (err) {
        if (isMissing(err) || errCode(err) === 'EISDIR' || errCode(err) === 'EPERM') return;
        throw err;
      }
    },
    async sweepTemp(olderThanMs, now = Date.now()) {
      let names: string[];
      try {
        names = await readdir(tmpDir);
      } catch (err) {
        if (isMissing(err)) return 0;
        throw err;
      }
      let removed = 0;
      for (const name of names) {
        const p = join(tmpDir, name);
        const st = await fsStat(p).catch(() => null);
        if (st?.isFile() && now - st.mtimeMs > olderThanMs) {
          await rm(p, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

function notFound(key: string): NotFoundError {
  return new NotFoundError(`object ${JSON.stringify(key)} not found`, { key }, 'object_not_found');
}
