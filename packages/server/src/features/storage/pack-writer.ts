import type { ObjectStore } from '../../storage/object-store.ts';
import { iso } from '../../lib/context.ts';
import { encodeChunk } from './chunk-codec.ts';
import { newPackId, packKey } from './pack-key.ts';
import type { ChunksTable, StorageDb } from './storage.tables.ts';
import { batches } from './chunk-index.ts';

export const DEFAULT_PACK_SIZE = 64 * 1024 * 1024;

export interface PackWriterDeps {
  db: StorageDb;
  objects: ObjectStore;
  now: () => Date;
  /** Flush once the buffered stored bytes reach this (bytes). */
  packSize: number;
}

/**
 * Buffers new chunks (encoded) and writes them as one immutable pack object, then indexes them.
 * Order is the invariant: the object is durable before any index row points into it, and the
 * pack row and its index rows land in one transaction. A crash in between leaves only garbage
 * (an orphan object or unreferenced chunks), never an index row without bytes.
 * A chunk already indexed elsewhere keeps its old row (insert ... do nothing); the copy here is dead
 * weight that repacking reclaims.
 */
export function createPackWriter(deps: PackWriterDeps) {
  let parts: Uint8Array[] = [];
  let rows: Omit<ChunksTable, 'pack_id' | 'touched_at'>[] = [];
  let size = 0;
  const seen = new Set<string>();
  let packsWritten = 0;

  async function flush(): Promise<void> {
    if (rows.length === 0) return;
    const body = Buffer.concat(parts, size);
    const pending = rows;
    parts = [];
    rows = [];
    size = 0;
    await writePack(deps, body, pending);
    packsWritten++;
  }

  return {
    /** Queue a chunk (raw bytes, id already verified by the caller). Returns its stored length. */
    async add(id: string, raw: Uint8Array): Promise<number> {
      if (seen.has(id)) return 0;
      seen.add(id);
      const enc = encodeChunk(raw);
      // Copy: callers reuse their buffers.
      parts.push(Buffer.from(enc.bytes));
      rows.push({ id, pack_offset: size, stored_length: enc.bytes.length, raw_length: raw.length, compression: enc.compression });
      size += enc.bytes.length;
      if (size >= deps.packSize) await flush();
      return enc.bytes.length;
    },
    flush,
    get packsWritten() {
      return packsWritten;
    },
  };
}

export type PackWriter = ReturnType<typeof createPackWriter>;

/** Write `body` as a new pack object, then its pack row and index rows in one transaction. */
export async function writePack(deps: Omit<PackWriterDeps, 'packSize'>, body: Uint8Array, rows: Omit<ChunksTable, 'pack_id' | 'touched_at'>[]): Promise<string> {
  const at = deps.now();
  const id = newPackId(at);
  await deps.objects.put(packKey(id), body, { expectedSize: body.length });
  const nowIso = iso(at);
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('packs').values({ id, size: body.length, chunk_count: rows.length, created_at: nowIso }).execute();
    for (const part of batches(rows, 200)) {
      await trx
        .insertInto('chunks')
        .values(part.map((r) => ({ ...r, pack_id: id, touched_at: nowIso })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  });
  return id;
}
