import { ConflictError } from '@steward/core';
import type { BodyPiece } from '../../http/send-pieces.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { readChunks } from '../storage/chunk-reader.ts';
import type { RunBuffers } from '../storage/run-buffers.ts';
import type { StorageDb } from '../storage/storage.tables.ts';
import { recipeWindows } from './blob-recipe.ts';

/**
 * Recipe rows read per query while streaming bytes: ~16 MiB of chunks, so a window's rows (and
 * their index lookups) are garbage before the young-generation GC would promote them. With 4096,
 * every row outlived two scavenges and a 4 GiB download left ~40 MiB of old-space garbage.
 */
const BYTES_WINDOW = 256;

/**
 * Bytes [start, end] (inclusive) of a chunked blob, streamed from packs one recipe window at a
 * time. With `buffers`, pieces may lie in lent run buffers: call `written` once they are sent.
 * A blob whose recipe vanished meanwhile (GC deleted it) ends in an error, never short.
 */
export async function* blobPieces(db: StorageDb, objects: ObjectStore, sha256: string, start: number, end: number, buffers?: RunBuffers): AsyncGenerator<BodyPiece> {
  if (end < start) return;
  let sent = 0;
  for await (const rows of recipeWindows(db, sha256, { start, end }, BYTES_WINDOW)) {
    let i = 0;
    for await (const c of readChunks(db, objects, rows.map((r) => r.id), undefined, { buffers })) {
      const r = rows[i++]!;
      const from = Math.max(0, start - r.offset);
      const to = Math.min(r.size, end - r.offset + 1);
      sent += to - from;
      yield { bytes: from === 0 && to === r.size ? c.bytes : c.bytes.subarray(from, to), written: c.done };
    }
  }
  const want = end - start + 1;
  if (sent !== want) throw new ConflictError(`blob ${sha256} was deleted while being read (${sent} of ${want} bytes sent)`, { sha256 }, 'blob_not_found');
}

/** Recipe rows per piece of the recipe answer: ~90 KiB of JSON, under V8's 128 KiB large-object size. */
const RECIPE_JSON_WINDOW = 1024;

/** The JSON of GET /blobs/{sha}/recipe, one window of rows at a time (a 4 GiB file lists ~65,536 chunks). */
export async function* recipeJson(db: StorageDb, sha256: string, size: number): AsyncGenerator<BodyPiece> {
  yield { bytes: Buffer.from(`{"sha256":${JSON.stringify(sha256)},"size":${size},"chunks":[`) };
  let listed = 0;
  let sep = '';
  for await (const rows of recipeWindows(db, sha256, undefined, RECIPE_JSON_WINDOW)) {
    yield { bytes: Buffer.from(sep + rows.map((r) => JSON.stringify({ id: r.id, size: r.size })).join(',')) };
    sep = ',';
    listed += rows.reduce((n, r) => n + r.size, 0);
  }
  if (listed !== size) throw new ConflictError(`blob ${sha256} was deleted while its recipe was read`, { sha256 }, 'blob_not_found');
  yield { bytes: Buffer.from(']}') };
}
