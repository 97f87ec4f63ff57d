import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../db/connect.ts';
import { createMemoryObjectStore } from '../../storage/object-store.memory.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';
import { createBlobService } from '../blobs/blobs.service.ts';
import { createStorageService } from './storage.service.ts';
import { chunkBuffer } from './chunker.ts';
import { sha } from './storage-test-helpers.ts';

/**
 * GC against a push stopped at chosen points, with a hand-driven clock: the interleavings the
 * timing-based race test can only hope to hit.
 */
for (const target of testDbTargets()) {
  const d = target.create ? describe : describe.skip;
  d(`GC interleaved with a push on ${target.name}`, () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    let t = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => new Date(t);
    const objects = createMemoryObjectStore();
    let blobs: ReturnType<typeof createBlobService>;
    let storage: ReturnType<typeof createStorageService>;
    beforeAll(async () => {
      const x = await target.create!();
      cleanup = x.cleanup;
      db = await openDb(x.url);
      blobs = createBlobService({ db: db.kysely, objects, now: clock, packSize: 128 * 1024 });
      storage = createStorageService({ db: db.kysely, objects, now: clock, packSize: 128 * 1024 });
    });
    afterAll(async () => {
      await db?.close();
      await cleanup?.();
    });
    const readAll = async (sha256: string) => {
      const parts: Buffer[] = [];
      for await (const p of (await blobs.open(sha256)).stream) parts.push(Buffer.from(p as Uint8Array));
      return Buffer.concat(parts);
    };

    it('a streaming push keeps the old chunks it reused, even when GC sweeps their blob mid-push', async () => {
      const old = randomBytes(6 * 1024 * 1024);
      await blobs.put(sha(old), PassThrough.from([old]) as never, old.length);
      t += 3600_000; // the old blob is now garbage for a 60 s grace period
      const next = Buffer.concat([old, randomBytes(200_000)]);
      const body = new PassThrough();
      const pushing = blobs.put(sha(next), body, next.length);
      // Past the first dedup batch (64 chunks, ~4 MiB): the push has looked up, and so touched, those old chunks.
      body.write(next.subarray(0, 5_500_000));
      await new Promise((r) => setTimeout(r, 50));
      const gc = await storage.gc({ graceSeconds: 60 });
      expect(gc.deletedBlobs).toBe(1);
      expect(gc.deletedChunks).toBeGreaterThan(0); // the old chunks the push had not reached yet
      body.end(next.subarray(5_500_000));
      await pushing;
      expect((await readAll(sha(next))).equals(next)).toBe(true);
      expect((await storage.fsck()).problems).toEqual([]);
    });

    it('chunks reported present by /chunks/missing survive a sweep until the recipe lands', async () => {
      const bytes = randomBytes(500_000);
      const ids = chunkBuffer(bytes).map((c) => sha(bytes.subarray(c.offset, c.offset + c.length)));
      const parts = chunkBuffer(bytes).map((c) => bytes.subarray(c.offset, c.offset + c.length));
      const { encodeFrame } = await import('./frames.ts');
      await storage.chunks.upload(Buffer.concat(parts.flatMap((p, i) => encodeFrame(ids[i]!, p))));
      t += 3600_000; // unreferenced and old
      expect(await storage.chunks.missing(ids)).toEqual([]); // the client learns it need not upload them
      await storage.gc({ graceSeconds: 60 });
      expect(await storage.chunks.missing(ids)).toEqual([]);
      expect((await blobs.putRecipe(sha(bytes), bytes.length, ids)).created).toBe(true);
      expect((await readAll(sha(bytes))).equals(bytes)).toBe(true);
    });

    it('a download in progress survives GC repacking and deleting the packs it reads', async () => {
      const bytes = randomBytes(3 * 1024 * 1024);
      await blobs.put(sha(bytes), PassThrough.from([bytes]) as never, bytes.length);
      // Referenced (as a registered evaluation dataset), so GC keeps it; a threshold over 1 makes
      // every one of its packs qualify for repacking.
      await (db.kysely as any)
        .insertInto('eval_datasets')
        .values({ id: 'ds1', name: 'd', version: '1', sha256: sha(bytes), size: bytes.length, format: 'csv', schema_json: '{}', rows: 0, created_at: clock().toISOString(), created_by: 't' })
        .execute();
      const stream = (await blobs.open(sha(bytes))).stream;
      const it = stream[Symbol.asyncIterator]();
      const parts: Buffer[] = [Buffer.from((await it.next()).value as Uint8Array)];
      t += 3600_000;
      const gc = await storage.gc({ graceSeconds: 60, repackBelow: 1.01 });
      expect(gc.repackedPacks).toBeGreaterThan(5);
      for (let r = await it.next(); !r.done; r = await it.next()) parts.push(Buffer.from(r.value as Uint8Array));
      expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    });

    it('two concurrent pushes of the same bytes both succeed, one creating the blob', async () => {
      const bytes = randomBytes(700_000);
      const res = await Promise.all([0, 1, 2].map(() => blobs.put(sha(bytes), PassThrough.from([bytes]) as never, bytes.length)));
      expect(res.filter((r) => r.created)).toHaveLength(1);
      expect((await readAll(sha(bytes))).equals(bytes)).toBe(true);
      expect((await storage.fsck()).problems).toEqual([]);
    });

    it('a recipe whose chunks GC removed first is refused, never committed dangling', async () => {
      const bytes = randomBytes(300_000);
      const parts = chunkBuffer(bytes).map((c) => bytes.subarray(c.offset, c.offset + c.length));
      const ids = parts.map(sha);
      const { encodeFrame } = await import('./frames.ts');
      await storage.chunks.upload(Buffer.concat(parts.flatMap((p, i) => encodeFrame(ids[i]!, p))));
      t += 3600_000;
      await storage.gc({ graceSeconds: 60 });
      await expect(blobs.putRecipe(sha(bytes), bytes.length, ids)).rejects.toMatchObject({ code: 'chunk_missing' });
      expect(await blobs.stat(sha(bytes))).toBeUndefined();
    });
  });
}
