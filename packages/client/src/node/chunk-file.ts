import type { ChunkPool } from './chunk-pool.ts';
import { scanChunks, type FileChunk } from './chunk-scan.ts';
import type { ChunkTaskResult } from './chunk-task.ts';

/** A file as content-defined chunks, equal to chunking the whole file in one pass. */
export interface FileRecipe {
  sha256: string;
  size: number;
  chunks: FileChunk[];
}

/** Default segment length: files of at least 2 segments are split across workers. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * Chunks one file on the pool. Small files are one task (chunks + SHA-256 in a single read).
 * Large files become a whole-file SHA-256 task plus one task per segment, each chunking its
 * segment as if a chunk started there; `mergeSegments` then stitches them into exactly the
 * whole-file chunking.
 */
export async function chunkFile(pool: ChunkPool, path: string, size: number, segmentBytes = DEFAULT_SEGMENT_BYTES): Promise<FileRecipe> {
  if (size < 2 * segmentBytes) {
    const r = await pool.run({ kind: 'scan', path, from: 0, to: size, final: true, wholeHash: true });
    return { sha256: r.sha256!, size, chunks: r.chunks };
  }
  const starts: number[] = [];
  for (let s = 0; s < size; s += segmentBytes) starts.push(s);
  const sha = pool.run({ kind: 'sha', path });
  const segments = await Promise.all(
    starts.map((from, k) => {
      const to = starts[k + 1] ?? size;
      return pool.run({ kind: 'scan', path, from, to, final: to === size, wholeHash: false });
    }),
  );
  const chunks = await mergeSegments(path, size, starts, segments);
  return { sha256: (await sha).sha256!, size, chunks };
}

/**
 * Stitches per-segment chunkings into the whole-file chunking.
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
export async function mergeSegments(path: string, size: number, starts: number[], segments: ChunkTaskResult[]): Promise<FileChunk[]> {
  const out: FileChunk[] = [...segments[0]!.chunks];
  let pos = out.length ? out.at(-1)!.offset + out.at(-1)!.length : 0;
  for (let k = 1; k < segments.length && pos < size; k++) {
    const list = segments[k]!.chunks;
    // chunk start offset in this segment's list → index of the chunk starting there
    const startAt = new Map<number, number>([[starts[k]!, 0]]);
    list.forEach((c, i) => startAt.set(c.offset + c.length, i + 1));
    const coverEnd = list.length ? list.at(-1)!.offset + list.at(-1)!.length : starts[k]!;
    if (pos > coverEnd) continue; // already past this segment's cuts (no sync found earlier)
    if (!startAt.has(pos)) {
      const r = await scanChunks(path, {
        from: pos,
        to: size,
        final: true,
        stopAfter: (end) => startAt.has(end) || end >= coverEnd,
      });
      out.push(...r.chunks);
      pos = r.end;
      if (!startAt.has(pos)) continue; // ran past this segment's last cut without meeting it
    }
    const from = startAt.get(pos)!;
    for (let i = from; i < list.length; i++) out.push(list[i]!);
    pos = coverEnd;
  }
  if (pos < size) {
    // Only if the last segment's list ended before the file did without its final chunk.
    out.push(...(await scanChunks(path, { from: pos, to: size, final: true })).chunks);
  }
  return out;
}
