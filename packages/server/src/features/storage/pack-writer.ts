import type { ObjectStore } from '../../storage/object-store.ts';
import { iso } from '../../lib/context.ts';
import { encodeChunk } from './chunk-codec.ts';
import type { StoredForm } from './sha256-worker.ts';
import { newPackId, packKey } from './pack-key.ts';
import type { ChunksTable, StorageDb } from './storage.tables.ts';
import { batches, relaxedTransaction } from './chunk-index.ts';
import type { ChunkArrivals } from './chunk-arrivals.ts';

export const DEFAULT_PACK_SIZE = 64 * 1024 * 1024;

export interface PackWriterDeps {
  db: StorageDb;
  objects: ObjectStore;
  now: () => Date;
  /** Flush once the buffered stored bytes reach this (bytes). */
  packSize: number;
  /** Told each time a pack's chunks are indexed (wakes recipe checks waiting for them). */
  arrivals?: ChunkArrivals;
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
  // At most one pack is being written while the next one fills: chunking and hashing overlap the
  // object write (fsync dominates it). Memory: two packs per upload at most.
  let inFlight: Promise<void> | null = null;

  function startFlush(): void {
    const body = parts;
    const bodySize = size;
    const pending = rows;
    parts = [];
    rows = [];
    size = 0;
    inFlight = writePack(deps, body, bodySize, pending).then(() => {
      packsWritten++;
    });
  }

  async function flush(): Promise<void> {
    if (inFlight) await inFlight;
    inFlight = null;
    if (rows.length === 0) return;
    startFlush();
    await inFlight;
    inFlight = null;
  }

  return {
    /**
     * Queue a chunk (raw bytes, id already verified by the caller), stored as `stored` says when
     * the SHA-256 worker judged it already (its bytes must stay untouched until the pack is
     * written), else as encodeChunk decides here. Returns its stored length.
     */
    async add(id: string, raw: Uint8Array, stored?: StoredForm): Promise<number> {
      if (seen.has(id)) return 0;
      seen.add(id);
      const enc = stored ? { bytes: stored.bytes ?? raw, compression: stored.compression } : encodeChunk(raw);
      // No copy: callers hand over immutable buffers (request pieces, their concatenations).
      parts.push(enc.bytes);
      rows.push({ id, pack_offset: size, stored_length: enc.bytes.length, raw_length: raw.length, compression: enc.compression });
      size += enc.bytes.length;
      if (size >= deps.packSize) {
        if (inFlight) await inFlight; // surfaces a failed write before more is buffered
        inFlight = null;
        startFlush();
        inFlight!.catch(() => undefined); // awaited (and rethrown) by the next flush
      }
      return enc.bytes.length;
    },
    flush,
    /** Resolves once no pack write is in flight (failed or not): its parts no longer read caller buffers. */
    async settled(): Promise<void> {
      await inFlight?.catch(() => undefined);
    },
    get packsWritten() {
      return packsWritten;
    },
  };
}

export type PackWriter = ReturnType<typeof createPackWriter>;

/** Write `body` as a new pack object, then its pack row and index rows in one transaction. */
export async function writePack(deps: Omit<PackWriterDeps, 'packSize'>, parts: Uint8Array[], size: number, rows: Omit<ChunksTable, 'pack_id' | 'touched_at'>[]): Promise<string> {
  const at = deps.now();
  const id = newPackId(at);
  // Streamed part by part: no 64 MiB concatenation.
  await deps.objects.put(packKey(id), (async function* () {
    yield* parts;
  })(), { expectedSize: size, hash: false }); // each chunk was verified by its id; the pack needs no digest
  const nowIso = iso(at);
  // Relaxed: the object is durable already; rows lost to a power failure leave an orphan pack.
  await relaxedTransaction(deps.db, async (trx) => {
    await trx.insertInto('packs').values({ id, size, chunk_count: rows.length, created_at: nowIso }).execute();
    for (const part of batches(rows, 200)) {
      await trx
        .insertInto('chunks')
        .values(part.map((r) => ({ ...r, pack_id: id, touched_at: nowIso })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  });
  deps.arrivals?.indexed();
  return id;
}
