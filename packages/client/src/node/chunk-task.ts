import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { scanChunks, type FileChunk } from './chunk-scan.ts';

/**
 * Work items for the chunking pool. `scan` chunks [from, to) as if a chunk started at `from`;
 * `sha` hashes a whole file. Both run in worker threads, or inline for small pushes.
 */
export type ChunkTask =
  | { kind: 'scan'; path: string; from: number; to: number; final: boolean; wholeHash: boolean }
  | { kind: 'sha'; path: string };

export interface ChunkTaskResult {
  chunks: FileChunk[];
  sha256?: string;
}

/** Runs one task; `onBytes` gets the bytes processed since the previous call (a delta). */
export async function runChunkTask(task: ChunkTask, onBytes?: (delta: number) => void): Promise<ChunkTaskResult> {
  if (task.kind === 'sha') {
    const hash = createHash('sha256');
    for await (const piece of createReadStream(task.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) hash.update(piece);
    return { chunks: [], sha256: hash.digest('hex') };
  }
  let reported = 0;
  const res = await scanChunks(task.path, {
    from: task.from,
    to: task.to,
    final: task.final,
    wholeHash: task.wholeHash,
    onBytes: (n) => {
      onBytes?.(n - reported);
      reported = n;
    },
  });
  return { chunks: res.chunks, ...(res.sha256 ? { sha256: res.sha256 } : {}) };
}
