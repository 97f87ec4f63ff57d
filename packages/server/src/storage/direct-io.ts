import { constants } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { nativeAddon } from '../native-addon.ts';

/**
 * O_DIRECT file I/O for the file object store (object-store.fs.ts): large objects are written, and
 * a push's new packs read back once for its digest check, without going through the page cache.
 *
 * Why: a push writes each new byte into a pack once and reads it back once; in the page cache those
 * bytes only push other files out, and copying them in is not free. Each new cache page must be
 * found and cleared, and on a virtual machine whose free memory went back to the host, fetched from
 * the hypervisor too. Measured here: 704 MiB written buffered took 1.5–1.8 s of kernel CPU, with
 * O_DIRECT 0.08 s; a 1.4 GiB series push, 2.8–3.1 s of server kernel CPU against 1.6–2.0 s
 * (bench/README.md, session 18). MinIO writes its objects with O_DIRECT for the same reasons.
 *
 * O_DIRECT wants the buffer's address, the file offset and the length aligned to the device's
 * block size, so bytes go through page-aligned staging buffers from the native addon (Node
 * allocates Buffers wherever malloc puts them). Writes: pieces are copied in and each full buffer
 * written while the next fills; the last block is zero-padded and the file cut back to its size.
 * Where the addon is missing, the platform has no O_DIRECT, or the filesystem refuses it, the
 * store does buffered I/O as before.
 */
export const DIRECT_ALIGN = 4096;
/** Bytes per O_DIRECT write (a multiple of DIRECT_ALIGN). */
export const STAGE = 1024 * 1024;
/** Staging buffers kept for reuse (a put uses two, a read one): fresh ones cost page faults every time. */
const KEEP = 4;

const free: Buffer[] = [];

function stageBuffer(): Buffer {
  return free.pop() ?? nativeAddon()!.alignedBuffer!(STAGE, DIRECT_ALIGN);
}

function giveBack(b: Buffer): void {
  if (free.length < KEEP) free.push(b);
}

/** Whether this process can write O_DIRECT at all (the filesystem may still refuse: see openDirect). */
export function directIoPossible(): boolean {
  return typeof constants.O_DIRECT === 'number' && typeof nativeAddon()?.alignedBuffer === 'function';
}

/** A sink for a put's pieces: appends them to a new file and makes it durable. */
export interface FileSink {
  write(piece: Buffer): Promise<void>;
  /** Writes what is buffered and fsyncs; the file then holds exactly the bytes written. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

/** Appends pieces with one writev per ~1 MiB (a FileHandle.write per 64 KiB piece cost ~5x the CPU). */
export class BufferedSink implements FileSink {
  #pending: Buffer[] = [];
  #bytes = 0;
  constructor(private readonly fh: FileHandle) {}

  async write(piece: Buffer): Promise<void> {
    this.#pending.push(piece);
    this.#bytes += piece.byteLength;
    if (this.#bytes >= WRITEV_BYTES || this.#pending.length >= WRITEV_PIECES) await this.#flush();
  }

  async finish(): Promise<void> {
    await this.#flush();
    await this.fh.sync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  async #flush(): Promise<void> {
    if (this.#pending.length) await writeAll(this.fh, this.#pending);
    this.#pending = [];
    this.#bytes = 0;
  }
}

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

/**
 * Opens `path` (new, exclusive) for O_DIRECT writes, or returns null where the filesystem refuses
 * O_DIRECT (EINVAL: tmpfs, some FUSE mounts); the caller then opens it buffered.
 */
export async function openDirect(path: string, mode: number): Promise<DirectSink | null> {
  try {
    const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DIRECT, mode);
    return new DirectSink(fh, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    await rm(path, { force: true }); // some filesystems create the file before refusing the flag
    return null;
  }
}

/**
 * Copies pieces into aligned staging buffers and writes each full one with O_DIRECT while the next
 * fills. Should a write be refused (EINVAL: an alignment this device does not accept), the file is
 * reopened buffered and the rest goes through the page cache.
 */
export class DirectSink implements FileSink {
  #stage: Buffer = stageBuffer();
  #used = 0;
  /** Bytes handed to writes so far (the next write's file offset). */
  #at = 0;
  #inFlight: Promise<void> | null = null;
  #buffered: FileHandle | null = null;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
  ) {}

  async write(piece: Buffer): Promise<void> {
    for (let from = 0; from < piece.byteLength; ) {
      const n = Math.min(piece.byteLength - from, STAGE - this.#used);
      piece.copy(this.#stage, this.#used, from, from + n);
      this.#used += n;
      from += n;
      if (this.#used === STAGE) await this.#send(STAGE);
    }
  }

  async finish(): Promise<void> {
    const size = this.#at + this.#used;
    if (this.#used > 0) {
      const padded = Math.ceil(this.#used / DIRECT_ALIGN) * DIRECT_ALIGN;
      this.#stage.fill(0, this.#used, padded);
      await this.#send(padded);
    }
    await this.#settle();
    const fh = this.#buffered ?? this.fh;
    await fh.truncate(size);
    await fh.sync();
  }

  async close(): Promise<void> {
    await this.#settle().catch(() => undefined);
    giveBack(this.#stage);
    await this.#buffered?.close();
    await this.fh.close();
  }

  /** Starts writing the staged `length` bytes (after the previous write settles) and stages into a fresh buffer. */
  async #send(length: number): Promise<void> {
    await this.#settle();
    const buf = this.#stage;
    const at = this.#at;
    this.#at += this.#used;
    this.#used = 0;
    this.#stage = stageBuffer();
    this.#inFlight = this.#writeOut(buf, length, at).finally(() => giveBack(buf));
  }

  async #settle(): Promise<void> {
    const w = this.#inFlight;
    this.#inFlight = null;
    await w;
  }

  async #writeOut(buf: Buffer, length: number, at: number): Promise<void> {
    if (!this.#buffered) {
      try {
        for (let done = 0; done < length; ) done += (await this.fh.write(buf, done, length - done, at + done)).bytesWritten;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        this.#buffered = await open(this.path, 'r+');
      }
    }
    for (let done = 0; done < length; ) done += (await this.#buffered.write(buf, done, length - done, at + done)).bytesWritten;
  }
}

/** Opens `path` for O_DIRECT reads, or returns null where the filesystem refuses O_DIRECT. */
export async function openDirectRead(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_DIRECT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EINVAL') return null;
    throw err;
  }
}

/**
 * Reads bytes [start, start + out.length) of a file opened by openDirectRead into `out`, through an
 * aligned staging buffer (O_DIRECT reads whole aligned blocks). For bytes read once, like the
 * digest check of a push's new packs: they neither go through freshly allocated page-cache pages
 * nor push other files out of the cache.
 */
export async function readDirect(fh: FileHandle, start: number, out: Uint8Array, describe: string): Promise<void> {
  const stage = stageBuffer();
  try {
    for (let filled = 0; filled < out.length; ) {
      const pos = start + filled;
      const aligned = pos - (pos % DIRECT_ALIGN);
      const skip = pos - aligned;
      const want = Math.min(STAGE, Math.ceil((skip + out.length - filled) / DIRECT_ALIGN) * DIRECT_ALIGN);
      const got = (await fh.read(stage, 0, want, aligned)).bytesRead;
      const usable = Math.min(got - skip, out.length - filled);
      if (usable <= 0) throw new Error(`${describe} ended at byte ${pos} while being read`);
      out.set(stage.subarray(skip, skip + usable), filled);
      filled += usable;
    }
  } finally {
    giveBack(stage);
  }
}
