import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { assertSha256, NotFoundError } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import { iso } from '../../lib/context.ts';
import type { ObjectStore } from '../../storage/object-store.ts';

/** Objects are content-addressed; the `blobs` row is written only after the object is durable. */
export const blobKey = (sha256: string) => `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;

export function createBlobService(deps: { db: Kysely<Database>; objects: ObjectStore; now: () => Date }) {
  const { db, objects, now } = deps;
  const stat = (sha256: string) => db.selectFrom('blobs').select(['sha256', 'size']).where('sha256', '=', sha256).executeTakeFirst();
  return {
    stat,
    async missing(digests: string[]): Promise<string[]> {
      if (digests.length === 0) return [];
      const unique = [...new Set(digests)];
      const have = new Set<string>();
      for (let i = 0; i < unique.length; i += 500) {
        const rows = await db.selectFrom('blobs').select('sha256').where('sha256', 'in', unique.slice(i, i + 500)).execute();
        for (const r of rows) have.add(r.sha256);
      }
      return unique.filter((d) => !have.has(d));
    },
    /** Streams body into the store; only bytes that hash to `sha256` and have `size` bytes are kept. */
    async put(sha256: string, body: Readable, size: number | undefined, signal?: AbortSignal) {
      assertSha256(sha256);
      const existing = await stat(sha256);
      if (existing) {
        body.resume();
        return { sha256, size: existing.size, created: false };
      }
      const res = await objects.put(blobKey(sha256), body, { expectedSha256: sha256, ...(size !== undefined ? { expectedSize: size } : {}), ...(signal ? { signal } : {}) });
      await db
        .insertInto('blobs')
        .values({ sha256, size: res.size, created_at: iso(now()) })
        .onConflict((oc) => oc.column('sha256').doNothing())
        .execute();
      return { sha256, size: res.size, created: true };
    },
    async open(sha256: string, range?: { start: number; end: number }) {
      assertSha256(sha256);
      const s = await stat(sha256);
      if (!s) throw new NotFoundError(`blob ${sha256} is not stored`, { sha256 }, 'blob_not_found');
      const stream = range ? await objects.getRange(blobKey(sha256), range.start, range.end) : await objects.get(blobKey(sha256));
      return { size: s.size, stream };
    },
  };
}

export type BlobService = ReturnType<typeof createBlobService>;
