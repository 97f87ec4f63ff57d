import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  /** Lowercase hex SHA-256. */
  sha256: string;
  /** Bytes. */
  size: number;
}

/**
 * Streams a file through SHA-256 (constant memory, whatever the file size).
 * `onBytes` gets the cumulative byte count after each chunk.
 *
 * @example
 * const { sha256, size } = await hashFile('model.onnx');
 */
export async function hashFile(path: string, onBytes?: (bytesRead: number) => void): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    onBytes?.(size);
  }
  return { sha256: hash.digest('hex'), size };
}
