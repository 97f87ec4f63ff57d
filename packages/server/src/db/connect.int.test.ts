import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDb } from '../testing/test-dbs.ts';
import { openDb, type Db } from './connect.ts';

describeEachDb('the database connection', (target) => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(target.url);
  });
  afterAll(async () => {
    await db?.close();
  });

  // 2 = MEMORY. On disk, statement journals over 64 KiB spilled into /var/tmp files: ~35,000
  // writes per 1.4 GiB series push, each a system call on the event loop.
  it.runIf(target.name === 'sqlite')('keeps statement journals and temporary tables in memory', async () => {
    expect((await sql<{ temp_store: number }>`pragma temp_store`.execute(db.kysely)).rows[0]!.temp_store).toBe(2);
  });

  // An embedded SQLite has no server to close it.
  it.runIf(target.name === 'postgres')('survives the database closing an idle connection, and the next query opens a new one', async () => {
    const pid = async () => Number((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]!.pid);
    const first = await pid(); // now idle in the pool
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const admin = new pg.Client({ connectionString: target.url });
      await admin.connect();
      try {
        await admin.query('select pg_terminate_backend($1)', [first]);
      } finally {
        await admin.end();
      }
      await vi.waitFor(() => expect(errors).toHaveBeenCalledWith(expect.stringMatching(/idle PostgreSQL connection closed/)));
    } finally {
      errors.mockRestore();
    }
    expect(await pid()).not.toBe(first);
  });
});
