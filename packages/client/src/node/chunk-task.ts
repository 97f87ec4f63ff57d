import { createHash } from 'node:crypto';
import { openPieceReader, scanChunks, type FileChunk } from './chunk-scan.ts';

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

/**
 * Runs one task; `onBytes` gets the bytes processed since the previous call (a delta).
 * `blocking`: read with blocking calls, for a worker thread (see `openPieceReader`). `buffer`: see ScanOptions.
 */
export async function runChunkTask(task: ChunkTask, onBytes?: (delta: number) => void, blocking = false, buffer?: Buffer): Promise<ChunkTaskResult> {
  if (task.kind === 'sha') return { chunks: [], sha256: await sha256File(task.path, blocking) };
  let reported = 0;
  const res = await scanChunks(task.path, {
    from: task.from,
    to: task.to,
    final: task.final,
    wholeHash: task.wholeHash,
    blocking,
    ...(buffer ? { buffer } : {}),
    onBytes: (n) => {
      onBytes?.(n - reported);
      reported = n;
    },
  });
  return { chunks: res.chunks, ...(res.sha256 ? { sha256: res.sha256 } : {}) };
}

/** SHA-256 of a whole file through one reused 1 MiB buffer (a read stream allocates one per piece: GC in a small worker heap). */
async function sha256File(path: string, blocking: boolean): Promise<string> {
  const file = await openPieceReader(path, blocking);
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const bytesRead = await file.read(buf, buf.length, null);
      if (bytesRead === 0) return hash.digest('hex');
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
}
