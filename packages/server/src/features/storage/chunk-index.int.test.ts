import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDb, type Db } from '../../db/connect.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { relaxedTransaction } from './chunk-index.ts';
import { storageDb, type StorageDb } from './storage.tables.ts';

describeEachDb('relaxed transactions', (target) => {
  let db: Db;
  let sdb: StorageDb;
  beforeAll(async () => {
    db = await openDb(target.url);
    sdb = storageDb(db.kysely);
  });
  afterAll(async () => {
    await db?.close();
  });
  const pack = (id: string) => ({ id, size: 1, chunk_count: 0, created_at: '2026-01-01T00:00:00.000Z' });
  const synchronous = async (q: StorageDb | Parameters<Parameters<typeof relaxedTransaction>[1]>[0]) =>
    Number(Object.values((await sql<Record<string, number>>`pragma synchronous`.execute(q)).rows[0]!)[0]);

  it('commits its writes, and rolls them back when it throws', async () => {
    await relaxedTransaction(sdb, (trx) => trx.insertInto('packs').values(pack('p1')).execute());
    await expect(
      relaxedTransaction(sdb, async (trx) => {
        await trx.insertInto('packs').values(pack('p2')).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await sdb.selectFrom('packs').select('id').where('id', 'in', ['p1', 'p2']).execute()).map((r) => r.id)).toEqual(['p1']);
  });

  it.runIf(target.name === 'sqlite')('commits without fsync on SQLite, and no other statement runs relaxed meanwhile', async () => {
    expect(await synchronous(sdb)).toBe(2); // FULL, as connect.ts sets it
    let inside = -1;
    let outside = -1;
    let other: Promise<unknown> = Promise.resolve();
    await relaxedTransaction(sdb, async (trx) => {
      // A statement issued elsewhere while this transaction runs waits for it to end.
      other = synchronous(sdb).then((v) => (outside = v));
      await new Promise((r) => setTimeout(r, 20));
      expect(outside).toBe(-1);
      inside = await synchronous(trx);
    });
    await other;
    expect(inside).toBe(1); // NORMAL
    expect(outside).toBe(2);
    await expect(relaxedTransaction(sdb, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await synchronous(sdb)).toBe(2);
  });
});
