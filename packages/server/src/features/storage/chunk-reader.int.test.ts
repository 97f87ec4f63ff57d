import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { NotFoundError } from '@steward/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../db/connect.ts';
import { createFileObjectStore } from '../../storage/object-store.fs.ts';
import type { ObjectStore } from '../../storage/object-store.ts';
import { createBlobService } from '../blobs/blobs.service.ts';
import { locate } from './chunk-index.ts';
import { hashChunks } from './chunk-reader.ts';
import { chunkBuffer } from './chunker.ts';
import { float16Weights, sha } from './storage-test-helpers.ts';
import { storageDb } from './storage.tables.ts';

/**
 * The digest check of a recipe, read back from a filesystem store (the path that hashes on a
 * worker thread): raw and zstd chunks, repeats, runs cut at pack edges, and runs GC moved.
 */
describe('hashing a recipe read back from packs', () => {
  let dir: string;
  let db: Db;
  let objects: ObjectStore;
  let blobs: ReturnType<typeof createBlobService>;
  const text = Buffer.from('layer.0.weight 0.0125 -0.5 0.25\n'.repeat(100_000)); // zstd
  const noise = randomBytes(3 * 1024 * 1024); // raw-incompressible
  const bytes = Buffer.concat([text, noise, float16Weights(2 * 1024 * 1024), noise.subarray(0, 1024 * 1024), text.subarray(0, 500_000)]);
  const ids = chunkBuffer(bytes).map((c) => sha(bytes.subarray(c.offset, c.offset + c.length)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'steward-hash-'));
    db = await openDb(`sqlite:${join(dir, 'steward.db')}`);
    objects = createFileObjectStore(join(dir, 'objects'));
    blobs = createBlobService({ db: db.kysely, objects, now: () => new Date(), packSize: 1024 * 1024 });
    await blobs.put(sha(bytes), PassThrough.from([bytes]) as never, bytes.length);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hashes raw and zstd chunks, in recipe order with repeats, to the file digest', async () => {
    const kinds = await storageDb(db.kysely).selectFrom('chunks').select('compression').distinct().execute();
    expect(kinds.map((k) => k.compression).sort()).toEqual(['raw-incompressible', 'raw-low-gain', 'zstd']);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    expect(await hashChunks(storageDb(db.kysely), objects, ids, await locate(storageDb(db.kysely), ids))).toBe(sha(bytes));
    // Any other order hashes to something else.
    const k = ids.findIndex((id) => id !== ids[0]);
    const swapped = ids.map((id, i) => (i === 0 ? ids[k]! : i === k ? ids[0]! : id));
    expect(await hashChunks(storageDb(db.kysely), objects, swapped, await locate(storageDb(db.kysely), ids))).not.toBe(sha(bytes));
  });

  it('re-reads a run whose pack moved while it was read, hashing it once', async () => {
    let refused = 0;
    const moving: ObjectStore = Object.create(objects, {
      readInto: {
        value: async (key: string, start: number, out: Uint8Array) => {
          // Every other run: the pack is gone from under the reader (GC repacked it).
          if (refused++ % 2 === 0) throw new NotFoundError(`object ${key} not found`, { key }, 'object_not_found');
          return objects.readInto!(key, start, out);
        },
      },
    });
    expect(await hashChunks(storageDb(db.kysely), moving, ids, await locate(storageDb(db.kysely), ids))).toBe(sha(bytes));
    expect(refused).toBeGreaterThan(4);
  });

  it('refuses a recipe whose chunks hash to another digest, and commits nothing', async () => {
    const other = sha(Buffer.from('not these bytes'));
    await expect(blobs.putRecipe(other, bytes.length, ids)).rejects.toMatchObject({ code: 'digest_mismatch' });
    expect(await blobs.stat(other)).toBeUndefined();
  });
});
