import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createChunker } from './core-chunking.ts';

/** One content-defined chunk of a file: id (hex SHA-256), absolute byte offset, length. */
export interface FileChunk {
  id: string;
  offset: number;
  length: number;
}

export interface ScanOptions {
  /** First byte; the chunker treats it as a chunk start. */
  from: number;
  /** Stop reading here (exclusive). */
  to: number;
  /**
   * Emit the trailing bytes after the last cut as a chunk. Only true when `to` is the end of the
   * file: a segment's tail is not a real cut (the next bytes could extend that chunk).
   */
  final: boolean;
  /** Called with each cut's end offset; returning true stops the scan right after that chunk. */
  stopAfter?: (end: number) => boolean;
  /** Also SHA-256 the scanned bytes (meaningful for a whole-file scan). */
  wholeHash?: boolean;
  /** Bytes scanned so far, called per read. */
  onBytes?: (n: number) => void;
  /** Read with blocking calls (see `openPieceReader`): only on a thread that does nothing else, or for a small file. */
  blocking?: boolean;
  /**
   * A buffer of at least PIECE bytes to read into, which the caller reuses from scan to scan (never
   * two at once): a fresh 1 MiB buffer per file cost a model of 300 small files a page fault per
   * 4 KiB read (~75 ms of its ~120 ms of chunking on this VM).
   */
  buffer?: Buffer;
}

export interface ScanResult {
  chunks: FileChunk[];
  /** Hex SHA-256 of [from, end) when `wholeHash`. */
  sha256?: string;
  /** Offset just past the last byte read. */
  end: number;
}

/** Read size: 1 MiB stays in L2 between the read and the hashing passes (measured best of 256 KiB–4 MiB). */
export const PIECE = 1 << 20;

/** Positional reads of one open file; `position` null reads on from the last read. */
export interface PieceReader {
  read(buf: Buffer, length: number, position: number | null): Promise<number>;
  close(): Promise<void>;
}

/**
 * Opens `path` for reading. `blocking` reads with readSync on the calling thread: right for a
 * chunking worker, which has nothing else to do meanwhile, and much cheaper than the default
 * (each async read is a hand-off to libuv's thread pool and a wake-up back: chunking the benchmark
 * series took 2.67 CPU-s that way, 2.54 s with blocking reads). On the main thread, where uploads
 * run alongside, only for a file of at most 1 MiB (chunking inline: chunk-pool.ts), a few
 * page-cache reads long.
 */
export async function openPieceReader(path: string, blocking = false): Promise<PieceReader> {
  if (blocking) {
    const fd = openSync(path, 'r');
    return {
      read: async (buf, length, position) => readSync(fd, buf, 0, length, position),
      close: async () => closeSync(fd),
    };
  }
  const fh = await open(path, 'r');
  return {
    read: async (buf, length, position) => (await fh.read(buf, 0, length, position)).bytesRead,
    close: () => fh.close(),
  };
}

/**
 * Streams [from, to) of a file through the chunker, hashing each chunk incrementally. Memory is
 * one 1 MiB read buffer and a SHA-256 state, whatever the file size. Because the chunker keeps no
 * state across a cut (hash reset, chunk start = cut), scanning from any true cut position gives
 * exactly the whole-file chunks from there on: the basis of the segment merge in chunk-file.ts.
 */
export async function scanChunks(path: string, opts: ScanOptions): Promise<ScanResult> {
  if (opts.wholeHash && opts.stopAfter) throw new Error('scanChunks: wholeHash needs a full scan, not stopAfter');
  const file = await openPieceReader(path, opts.blocking);
  try {
    const chunker = createChunker();
    const buf = opts.buffer && opts.buffer.length >= PIECE ? opts.buffer : Buffer.allocUnsafe(PIECE);
    const chunks: FileChunk[] = [];
    const whole = opts.wholeHash ? createHash('sha256') : undefined;
    let hash: Hash = createHash('sha256');
    let pos = opts.from;
    let stopped = false;
    while (pos < opts.to && !stopped) {
      const bytesRead = await file.read(buf, Math.min(PIECE, opts.to - pos), pos);
      if (bytesRead === 0) throw new Error(`${path} shrank while being read (at byte ${pos})`);
      const piece = buf.subarray(0, bytesRead);
      whole?.update(piece);
      let consumed = 0;
      for (const b of chunker.push(piece)) {
        const end = opts.from + b.offset + b.length - pos; // index in piece just past the cut
        hash.update(piece.subarray(consumed, end));
        consumed = end;
        chunks.push({ id: hash.digest('hex'), offset: opts.from + b.offset, length: b.length });
        hash = createHash('sha256');
        if (opts.stopAfter?.(opts.from + b.offset + b.length)) {
          stopped = true;
          break;
        }
      }
      if (stopped) {
        pos += consumed;
        break;
      }
      hash.update(piece.subarray(consumed));
      pos += bytesRead;
      opts.onBytes?.(pos - opts.from);
    }
    if (!stopped && opts.final) {
      for (const b of chunker.finish()) chunks.push({ id: hash.digest('hex'), offset: opts.from + b.offset, length: b.length });
    }
    return { chunks, end: pos, ...(whole ? { sha256: whole.digest('hex') } : {}) };
  } finally {
    await file.close();
  }
}
