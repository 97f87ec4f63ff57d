import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Db, openDb } from '../../db/connect.ts';
import { describeEachDb } from '../../testing/test-dbs.ts';
import { createNodeStoreSql, type NodeWrite } from './nodes.store.sql.ts';

const record = (j: number, version: string): NodeWrite => ({
  kind: 'record',
  id: `n${j}`,
  tokenId: 't',
  tokenName: 't',
  at: 'x',
  block: 10,
  flagged: [],
  hb: { channels: [{ model: 'm', channel: 'c' }], installed: [{ model: 'm', version, digest: 'a'.repeat(64) }], profile: {}, appVersion: '1', health: 'ok' },
  prevChannels: [],
  reportKey: `k-${version}`,
});

/** When PostgreSQL last analyzed `table` by an ANALYZE statement (autovacuum's own runs are counted apart). */
async function lastAnalyze(db: Db, table: string): Promise<string | null> {
  const r = await sql<{ at: string | null }>`select last_analyze as at from pg_stat_user_tables where relname = ${table}`.execute(db.kysely);
  return r.rows[0]?.at ?? null;
}

async function until(f: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await f()) return true;
  return f();
}

describeEachDb('fleet statistics after bulk registration', (testDb) => {
  let db: Db;
  beforeAll(async () => {
    db = await openDb(testDb.url);
  });
  afterAll(async () => {
    await db?.close();
  });

  it.runIf(testDb.name === 'postgres')('analyzes the node tables once recorded reports reach 1,000, not before', async () => {
    const store = createNodeStoreSql(db.kysely);
    const batch = async (from: number, n: number, version: string) => store.writeBatch(Array.from({ length: n }, (_, k) => record(from + k, version)));
    for (let i = 0; i < 800; i += 200) await batch(i, 200, '1.0.0');
    await new Promise((r) => setTimeout(r, 1500)); // past PostgreSQL's statistics flush interval (1 s)
    expect(await lastAnalyze(db, 'nodes')).toBeNull();
    for (let i = 800; i < 1200; i += 200) await batch(i, 200, '1.0.0');
    expect(await until(async () => (await lastAnalyze(db, 'nodes')) !== null && (await lastAnalyze(db, 'node_installed')) !== null, 10_000)).toBe(true);
  }, 30_000);
});
