import type { Hash } from 'node:crypto';
import { ConflictError, isStewardError } from '@steward/core';
import type { ObjectStore } from '../../storage/object-store.ts';
import { decodeChunk } from './chunk-codec.ts';
import { locate, type ChunkLocation } from './chunk-index.ts';
import { packKey } from './pack-key.ts';
import type { StorageDb } from './storage.tables.ts';

/** One getRange covers at most this many stored bytes (memory bound per reader). */
const MAX_RUN = 8 * 1024 * 1024;

/** One buffer of the whole stream; a single piece is returned as is (no copy). */
async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Group chunks that sit back to back in the same pack, so each group is one ranged read. */
function runs(locs: ChunkLocation[]): ChunkLocation[][] {
  const out: ChunkLocation[][] = [];
  let cur: ChunkLocation[] = [];
  let end = -1;
  let bytes = 0;
  for (const l of locs) {
    const prev = cur[cur.length - 1];
    if (prev && prev.pack_id === l.pack_id && l.pack_offset === end && bytes + l.stored_length <= MAX_RUN) {
      cur.push(l);
    } else {
      if (cur.length) out.push(cur);
      cur = [l];
      bytes = 0;
    }
    end = l.pack_offset + l.stored_length;
    bytes += l.stored_length;
  }
  if (cur.length) out.push(cur);
  return out;
}

async function readRun(objects: ObjectStore, run: ChunkLocation[], decode: boolean): Promise<Buffer[]> {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const buf = await readAll(await objects.getRange(packKey(first.pack_id), first.pack_offset, last.pack_offset + last.stored_length - 1));
  return run.map((l) => {
    const stored = buf.subarray(l.pack_offset - first.pack_offset, l.pack_offset - first.pack_offset + l.stored_length);
    return decode ? decodeChunk(stored, l.compression, l.raw_length) : stored;
  });
}

const isMoved = (err: unknown) => isStewardError(err) && (err.code === 'object_not_found' || err.code === 'range_not_satisfiable');

export interface ReadChunk {
  id: string;
  bytes: Buffer;
  /** How `bytes` are encoded: always 'none' unless read with `stored`. */
  compression: string;
  rawLength: number;
}

/**
 * Raw bytes of `ids`, in order (repeats allowed), with batched ranged reads. GC may repack a
 * chunk between our lookup and our read; then the old pack is gone, so we look the run up again
 * once and read it from its new home. With `stored`, bytes come as they sit in the pack
 * (possibly zstd), for answers that ship them without decompressing.
 */
export async function* readChunks(
  db: StorageDb,
  objects: ObjectStore,
  ids: readonly string[],
  known?: Map<string, ChunkLocation>,
  opts: { stored?: boolean } = {},
): AsyncGenerator<ReadChunk> {
  const window = 2048; // ids looked up per query round
  const decode = !opts.stored;
  let last: ReadChunk | undefined;
  for (let i = 0; i < ids.length; i += window) {
    const part = ids.slice(i, i + window);
    const where = known ?? (await locate(db, part));
    const locs = part.map((id) => {
      const l = where.get(id);
      if (!l) throw new Error(`chunk ${id} is not in the index`);
      return l;
    });
    const all = runs(locs);
    // A run of one chunk equal to the chunk just before it (zero pages, padding) needs no read.
    const prevId = (r: number) => (r === 0 ? last?.id : all[r - 1]![all[r - 1]!.length - 1]!.id);
    const repeat = (r: number) => all[r]!.length === 1 && all[r]![0]!.id === prevId(r);
    // Read one run ahead, so the next ranged read overlaps sending this one.
    const fetchRun = (r: number) => {
      if (r >= all.length || repeat(r)) return null;
      const p = readRunRetrying(db, objects, all[r]!, decode);
      p.catch(() => undefined); // awaited below
      return p;
    };
    let next = fetchRun(0);
    for (let r = 0; r < all.length; r++) {
      const run = all[r]!;
      const current = next;
      next = fetchRun(r + 1);
      if (!current) {
        yield last!;
        continue;
      }
      const bytes = await current;
      for (let k = 0; k < run.length; k++) {
        const l = bytes[k]!;
        last = { id: run[k]!.id, bytes: l.bytes, compression: decode ? 'none' : l.compression, rawLength: l.raw_length };
        yield last;
      }
    }
  }
}

/**
 * Feeds the raw bytes of `ids`, in order, to `hash` (the digest check before a recipe commits).
 * With a store that reads into a buffer (filesystem), every run is read into one of two reused
 * buffers (the next run is read while this one is hashed): reading a 4 GiB file back through fresh
 * 8 MiB buffers left ~100 MiB of them waiting for GC. A run GC moved meanwhile is re-read the
 * usual way; it is hashed only once it was read whole, so nothing is hashed twice.
 */
export async function hashChunks(db: StorageDb, objects: ObjectStore, ids: readonly string[], where: Map<string, ChunkLocation>, hash: Hash): Promise<void> {
  const readInto = objects.readInto?.bind(objects);
  if (!readInto) {
    for await (const c of readChunks(db, objects, ids, where)) hash.update(c.bytes);
    return;
  }
  const locs = ids.map((id) => {
    const l = where.get(id);
    if (!l) throw new Error(`chunk ${id} is not in the index`);
    return l;
  });
  const all = runs(locs);
  const bufs = [Buffer.allocUnsafe(MAX_RUN), Buffer.allocUnsafe(MAX_RUN)];
  const read = async (r: number): Promise<Buffer[]> => {
    const run = all[r]!;
    const first = run[0]!;
    const last = run[run.length - 1]!;
    const buf = bufs[r % 2]!.subarray(0, last.pack_offset + last.stored_length - first.pack_offset);
    try {
      await readInto(packKey(first.pack_id), first.pack_offset, buf);
    } catch (err) {
      if (!isMoved(err)) throw err;
      return readRunRetrying(db, objects, run, true).then((out) => out.map((o) => o.bytes));
    }
    return run.map((l) => decodeChunk(buf.subarray(l.pack_offset - first.pack_offset, l.pack_offset - first.pack_offset + l.stored_length), l.compression, l.raw_length));
  };
  let next = all.length ? read(0) : null;
  for (let r = 0; r < all.length; r++) {
    const bytes = await next!;
    // Start the next read only now: it writes into the other buffer, which run r - 1 no longer uses.
    next = r + 1 < all.length ? read(r + 1) : null;
    next?.catch(() => undefined); // awaited next round
    for (const b of bytes) hash.update(b);
  }
}

/**
 * GC may repack a chunk between our lookup and our read (the old pack is then deleted), possibly
 * more than once on a slow read; look the run up again and retry. A chunk that is gone from the
 * index was swept as garbage: only possible for chunks no blob references yet (a recipe being
 * verified past the grace period), reported as 409 chunk_missing, never as corruption.
 */
async function readRunRetrying(db: StorageDb, objects: ObjectStore, run: ChunkLocation[], decode: boolean): Promise<{ bytes: Buffer; compression: string; raw_length: number }[]> {
  let locs = run;
  for (let attempt = 0; ; attempt++) {
    try {
      const out: { bytes: Buffer; compression: string; raw_length: number }[] = [];
      for (const r of runs(locs)) {
        const bytes = await readRun(objects, r, decode);
        r.forEach((l, k) => out.push({ bytes: bytes[k]!, compression: l.compression, raw_length: l.raw_length }));
      }
      return out;
    } catch (err) {
      if (!isMoved(err) || attempt >= 3) throw err;
      const fresh = await locate(db, run.map((l) => l.id));
      const gone = run.filter((l) => !fresh.has(l.id)).map((l) => l.id);
      if (gone.length) throw new ConflictError(`${gone.length} chunk(s) were garbage-collected during the request; upload them again`, { missing: gone }, 'chunk_missing');
      locs = run.map((l) => fresh.get(l.id)!);
    }
  }
}
