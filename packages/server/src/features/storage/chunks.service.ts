import { MAX_BATCH_BYTES, MAX_BATCH_FRAMES, NotFoundError, PayloadTooLargeError } from '@steward/core';
import { iso } from '../../lib/context.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { locate, storedIds, touchAndFind } from './chunk-index.ts';
import { readChunks } from './chunk-reader.ts';
import { compressAgainst, wireChunk } from './chunk-codec.ts';
import { DeltaFrameCache } from './delta-frames.ts';
import { encodeFrame, encodeWireFrame, parseFrames, type Frame } from './frames.ts';
import { BodyBuffers } from '../../http/read-body.ts';
import { createPackWriter } from './pack-writer.ts';
import { warmSha256Worker } from './sha256-worker.ts';
import type { ChunkArrivals } from './chunk-arrivals.ts';
import { RunBuffers } from './run-buffers.ts';
import type { BodyPiece } from '../../http/send-pieces.ts';
import type { StorageDb } from './storage.tables.ts';

/** Most bases per fetched id, and most base bytes (raw) per fetch request. */
export const MAX_BASES_PER_ID = 8;
export const MAX_BASE_BYTES = 2 * MAX_BATCH_BYTES;

export interface FetchOptions {
  /** 'zstd': frames carry an encoding in their length word (see encodeWireFrame). */
  encoding?: 'zstd';
  /** Per id (same order), ids of chunks the client holds, whose bytes in order form the dictionary. */
  bases?: string[][];
}

/** The chunk endpoints: which chunks are missing, upload a verified batch, fetch a batch. */
export function createChunkService(deps: { db: StorageDb; objects: ObjectStore; now: () => Date; packSize: number; arrivals?: ChunkArrivals; deltaFrames: DeltaFrameCache }) {
  const { db, objects, now } = deps;
  const { deltaFrames } = deps;
  const buffers = new RunBuffers();
  const encodedBuffers = new BodyBuffers();
  /** Stores the new ones of verified frames in packs (an upload's second half). */
  async function storeFrames(frames: Frame[]) {
    // Only a look, no touch (a touch is a commit, an fsync on SQLite, per batch): a client sends
    // chunks `missing` called missing, so one stored since was stored after that question and is
    // as young as a touch would make it; the recipe commit touches every chunk again anyway. (A
    // client that uploads without asking may meet 409 chunk_missing at its recipe, and re-sends.)
    const have = await storedIds(db, frames.map((f) => f.id));
    const writer = createPackWriter({ db, objects, now, packSize: deps.packSize, ...(deps.arrivals ? { arrivals: deps.arrivals } : {}) });
    let stored = 0;
    let bytes = 0;
    const seen = new Set<string>();
    try {
      for (const f of frames) {
        if (have.has(f.id) || seen.has(f.id)) continue;
        seen.add(f.id);
        await writer.add(f.id, f.bytes, f.stored);
        stored++;
        bytes += f.bytes.length;
      }
      await writer.flush();
    } catch (err) {
      await writer.settled(); // the caller reuses `body` once we return: no write may still read it
      throw err;
    }
    return { stored, skipped: frames.length - stored, bytes };
  }

  return {
    /** Delta frames remembered for the next device (their count, bytes, hits and misses feed /metrics). */
    deltaFrames,
    /** Ids not stored, in request order (duplicates kept). Stored ones are touched (GC grace). */
    async missing(ids: string[]): Promise<string[]> {
      if (ids.length > 0) warmSha256Worker(); // the uploads or the recipe that follow verify on it
      const have = await touchAndFind(db, ids, iso(now()));
      return ids.filter((id) => !have.has(id));
    },
    /**
     * Verifies every frame first (parseFrames throws on the first bad one), then stores the new
     * ones in packs. Nothing reads `body` once this settles (the route reuses its buffer).
     */
    async upload(body: Buffer) {
      // The worker writes the zstd bytes of the chunks it judges compressible here; the pack writer
      // reads them from it, so it goes back only once the pack is written (finally below).
      // (Only for a body in shared memory: the worker verifies no other.)
      const encoded = body.buffer instanceof SharedArrayBuffer ? encodedBuffers.take(body.length) : undefined;
      try {
        return await storeFrames(await parseFrames(body, encoded));
      } finally {
        if (encoded) encodedBuffers.give(encoded);
      }
    },
    /**
     * Frames for `ids` in order; 404 chunk_not_found (nothing sent) if any is unknown. With
     * `encoding: 'zstd'` each frame is the smallest of raw, zstd and zstd against `bases[i]` (ids
     * the client holds, concatenated as a dictionary); bases the server does not store are ignored.
     */
    async fetch(ids: string[], opts: FetchOptions = {}): Promise<AsyncGenerator<BodyPiece>> {
      const where = await locate(db, ids);
      const missing = [...new Set(ids.filter((id) => !where.has(id)))];
      if (missing.length) throw new NotFoundError(`${missing.length} chunk(s) are not stored`, { missing }, 'chunk_not_found');
      const total = ids.reduce((s, id) => s + where.get(id)!.raw_length, 0);
      if (ids.length > MAX_BATCH_FRAMES || total > MAX_BATCH_BYTES) throw new PayloadTooLargeError(`a fetch returns at most ${MAX_BATCH_FRAMES} chunks and ${MAX_BATCH_BYTES} bytes; asked for ${ids.length} chunks, ${total} bytes`, { chunks: ids.length, bytes: total });
      if (opts.encoding !== 'zstd') {
        return (async function* () {
          for await (const c of readChunks(db, objects, ids, where, { buffers })) {
            const [head, bytes] = encodeFrame(c.id, c.bytes);
            yield { bytes: head };
            yield { bytes, written: c.done };
          }
        })();
      }
      const bases = opts.bases ?? [];
      const baseWhere = await locate(db, [...new Set(bases.flat())]);
      const baseBytes = bases.reduce((s, b) => s + b.reduce((n, id) => n + (baseWhere.get(id)?.raw_length ?? 0), 0), 0);
      if (baseBytes > MAX_BASE_BYTES) throw new PayloadTooLargeError(`bases of a fetch add up to at most ${MAX_BASE_BYTES} bytes; asked for ${baseBytes}`, { bytes: baseBytes, max: MAX_BASE_BYTES });
      return (async function* () {
        let i = 0;
        for await (const c of readChunks(db, objects, ids, where, { stored: true, buffers })) {
          const mine = (bases[i++] ?? []).filter((id) => baseWhere.has(id));
          // Every base must be there, in order: the client builds the same dictionary from its copies.
          let against: Buffer | null | undefined;
          if (mine.length > 0 && mine.length === bases[i - 1]!.length) {
            against = await deltaFrames.frame(DeltaFrameCache.key(c.id, mine), async () => {
              const parts: Buffer[] = [];
              for await (const b of readChunks(db, objects, mine, baseWhere)) parts.push(b.bytes);
              return compressAgainst(c.bytes, c.compression, c.rawLength, Buffer.concat(parts));
            });
          }
          const w = wireChunk(c.bytes, c.compression, c.rawLength, against);
          // Sent as read: the read buffer is free once the socket wrote it; re-encoded: free now.
          const asRead = w.bytes === c.bytes;
          if (!asRead) c.done?.();
          const [head, bytes] = encodeWireFrame(c.id, w.bytes, w.encoding);
          yield { bytes: head };
          yield { bytes, written: asRead ? c.done : undefined };
        }
      })();
    },
  };
}

export type ChunkService = ReturnType<typeof createChunkService>;
