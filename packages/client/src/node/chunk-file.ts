import { availableParallelism } from 'node:os';
import type { ChunkPool } from './chunk-pool.ts';
import { scanChunks, type FileChunk } from './chunk-scan.ts';
import type { ChunkTaskResult } from './chunk-task.ts';

/** A file as content-defined chunks, equal to chunking the whole file in one pass. */
export interface FileRecipe {
  sha256: string;
  size: number;
  chunks: FileChunk[];
}

/**
 * Default segment length: files of at least 2 segments are split across workers. Smaller segments
 * cost more than they bring: each split file is read twice (chunks, then the whole-file SHA-256,
 * which one unsplit task computes in the same pass) and every cut between segments is re-synced.
 */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Smallest segment segmentBytesFor picks: files under twice this are one task. */
export const MIN_SEGMENT_BYTES = 12 * 1024 * 1024;

/**
 * Segment length for a file of `size` bytes: DEFAULT_SEGMENT_BYTES, except that a file of less
 * than two of those is still cut in 2 × `cores` segments of at least MIN_SEGMENT_BYTES. In one
 * piece, a 100 MiB model was chunked on one core while the other idled, and its chunks (for the
 * upload, and the server's recipe check) came only at the end; in 25 MiB segments its fine-tunes
 * pushed in 0.22 s instead of 0.30–0.33 s, its first push in 0.59 instead of 0.68 s (64 MiB:
 * 0.16 instead of 0.22 s).
 */
export function segmentBytesFor(size: number, cores = availableParallelism()): number {
  const MiB = 1024 * 1024;
  return Math.min(DEFAULT_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, Math.ceil(size / (2 * cores) / MiB) * MiB));
}

/** Whether chunkFile cuts a file of `size` bytes in segments (chunked in parallel, its chunks handed out segment by segment). */
export const inSegments = (size: number, segmentBytes: number): boolean => size >= 2 * segmentBytes;

/**
 * Chunks one file on the pool. Small files are one task (chunks + SHA-256 in a single read).
 * Large files become a whole-file SHA-256 task plus one task per segment, each chunking its
 * segment as if a chunk started there; a SegmentMerger then stitches them into exactly the
 * whole-file chunking. `onChunks` gets the file's chunks in order as soon as they are final (for
 * a split file: each segment once it and the ones before it are done), so uploads can start
 * while the rest of the file is still being chunked.
 */
export async function chunkFile(
  pool: ChunkPool,
  path: string,
  size: number,
  segmentBytes = DEFAULT_SEGMENT_BYTES,
  onChunks?: (chunks: FileChunk[]) => void,
  onBytes?: (delta: number) => void,
): Promise<FileRecipe> {
  if (!inSegments(size, segmentBytes)) {
    const r = await pool.run({ kind: 'scan', path, from: 0, to: size, final: true, wholeHash: true }, onBytes);
    if (r.chunks.length) onChunks?.(r.chunks);
    return { sha256: r.sha256!, size, chunks: r.chunks };
  }
  const starts: number[] = [];
  for (let s = 0; s < size; s += segmentBytes) starts.push(s);
  const sha = pool.run({ kind: 'sha', path });
  sha.catch(() => undefined); // awaited below, after the segments
  const merger = new SegmentMerger(path, size, starts);
  const chunks: FileChunk[] = [];
  const take = (found: FileChunk[]) => {
    for (const c of found) chunks.push(c);
    if (found.length) onChunks?.(found);
  };
  // Segments finish in any order; each is merged once every segment before it was.
  const results = starts.map((from, k) => pool.run({ kind: 'scan', path, from, to: starts[k + 1] ?? size, final: k === starts.length - 1, wholeHash: false }, onBytes));
  results.forEach((r) => r.catch(() => undefined)); // each is awaited in order below
  for (let k = 0; k < results.length; k++) take(await merger.accept(k, await results[k]!));
  take(await merger.finish());
  return { sha256: (await sha).sha256!, size, chunks };
}

/**
 * Stitches per-segment chunkings into the whole-file chunking, one segment at a time, in order.
 *
 * Invariant (why this is exact): the chunker carries nothing across a cut (its hash resets and
 * the next chunk starts at the cut), so the chunks after any true cut position p depend only on
 * the bytes from p on. Segment k was chunked as if p = start_k were a cut. If the true chunking
 * ever reaches a position that is also a chunk start in segment k's list, every later chunk of
 * that list is a true chunk. Until they meet, we chunk sequentially from the last true cut
 * (usually a few hundred KiB); if they never meet, sequential chunking simply continues into the
 * next segment, which is slow but still exact. A segment's tail (bytes after its last cut) is not
 * a true chunk and is never taken from the list, except the file's final chunk.
 */
export class SegmentMerger {
  /** Offset just past the last true chunk returned so far. */
  #pos = 0;
  #next = 0;

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly starts: number[],
  ) {}

  /** Segment `k`'s result (k = 0, 1, 2… in order); returns the chunks that became final. */
  async accept(k: number, segment: ChunkTaskResult): Promise<FileChunk[]> {
    if (k !== this.#next++) throw new Error(`SegmentMerger: segment ${k} given out of order`);
    const list = segment.chunks;
    if (k === 0) {
      this.#pos = list.length ? list.at(-1)!.offset + list.at(-1)!.length : 0;
      return [...list];
    }
    if (this.#pos >= this.size) return [];
    const out: FileChunk[] = [];
    // chunk start offset in this segment's list → index of the chunk starting there
    const startAt = new Map<number, number>([[this.starts[k]!, 0]]);
    list.forEach((c, i) => startAt.set(c.offset + c.length, i + 1));
    const coverEnd = list.length ? list.at(-1)!.offset + list.at(-1)!.length : this.starts[k]!;
    if (this.#pos > coverEnd) return out; // already past this segment's cuts (no sync found earlier)
    if (!startAt.has(this.#pos)) {
      const r = await scanChunks(this.path, {
        from: this.#pos,
        to: this.size,
        final: true,
        stopAfter: (end) => startAt.has(end) || end >= coverEnd,
      });
      out.push(...r.chunks);
      this.#pos = r.end;
      if (!startAt.has(this.#pos)) return out; // ran past this segment's last cut without meeting it
    }
    for (let i = startAt.get(this.#pos)!; i < list.length; i++) out.push(list[i]!);
    this.#pos = coverEnd;
    return out;
  }

  /** After the last segment: the final chunk, if the last segment's list ended before the file did. */
  async finish(): Promise<FileChunk[]> {
    if (this.#pos >= this.size) return [];
    const r = await scanChunks(this.path, { from: this.#pos, to: this.size, final: true });
    this.#pos = this.size;
    return r.chunks;
  }
}
