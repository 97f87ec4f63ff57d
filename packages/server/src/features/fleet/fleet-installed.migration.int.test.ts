import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../db/connect.ts';
import { migrationProvider } from '../../db/migrations.ts';
import { testDbTargets } from '../../testing/test-dbs.ts';

/** 0007_fleet_installed backfills node_installed from the nodes' JSON lists. */
for (const target of testDbTargets()) {
  const d = target.create ? describe : describe.skip;
  d(`migration 0007_fleet_installed on ${target.name}`, () => {
    it('backfills one row per distinct installed version and skips malformed entries', async () => {
      const t = await target.create!();
      const dialect = target.name === 'sqlite' ? 'sqlite' : 'postgres';
      const raw = new Kysely<any>({
        dialect: dialect === 'sqlite' ? new SqliteDialect({ database: new Sqlite(t.url.slice('sqlite:'.length)) }) : new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 2 }) }),
      });
      try {
        const { error } = await new Migrator({ db: raw, provider: migrationProvider(dialect) }).migrateTo('0006_chunks');
        expect(error).toBeUndefined();
        const node = (id: string, installed: string) => ({ id, token_id: 't', token_name: 'n', profile: '{}', app_version: '1', health: 'ok', installed, telemetry: '[]', flagged: '[]', first_seen_at: 'x', last_seen_at: 'x', last_block: 5 });
        const i = (v: string, d = 'a'.repeat(64)) => ({ model: 'm', version: v, digest: d });
        await raw.insertInto('nodes').values([node('n1', JSON.stringify([i('1.0.0'), i('1.0.0'), i('1.1.0', 'b'.repeat(64))])), node('n2', JSON.stringify([{ model: 'm' }, 42, i('2.0.0')])), node('n3', 'not json')]).execute();
      } finally {
        await raw.destroy();
      }
      const db = await openDb(t.url);
      try {
        const rows = await sql<{ node_id: string; version: string; digest: string }>`select node_id, version, digest from node_installed order by node_id, version`.execute(db.kysely);
        expect(rows.rows).toEqual([
          { node_id: 'n1', version: '1.0.0', digest: 'a'.repeat(64) },
          { node_id: 'n1', version: '1.1.0', digest: 'b'.repeat(64) },
          { node_id: 'n2', version: '2.0.0', digest: 'a'.repeat(64) },
        ]);
        const keys = await sql<{ report_key: string }>`select report_key from nodes`.execute(db.kysely);
        expect(keys.rows.map((r) => r.report_key)).toEqual(['', '', '']); // the first heartbeat after the upgrade records in full
      } finally {
        await db.close();
        await t.cleanup();
      }
    });
  });
}
