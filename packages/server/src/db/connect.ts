import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type KyselyConfig } from 'kysely';
import pg from 'pg';
import { InvalidInputError } from '@steward/core';
import { migrationProvider } from './migrations.ts';
import type { Database } from './schema.ts';

export interface Db {
  kysely: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /** Redacted location for logs. */
  describe: string;
  /** SQLite: the database file (`:memory:` for an in-memory one). */
  file?: string;
  close(): Promise<void>;
}

/** STEWARD_SLOW_QUERY_MS=N logs every query slower than N ms to stderr (SQL text only, no parameters). */
function slowQueryLog(): KyselyConfig['log'] {
  const ms = Number(process.env.STEWARD_SLOW_QUERY_MS);
  if (!(ms > 0)) return undefined;
  return (e) => {
    if (e.queryDurationMillis >= ms) process.stderr.write(`slow query ${e.queryDurationMillis.toFixed(1)} ms: ${e.query.sql}\n`);
  };
}

/** `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. Runs migrations before returning. */
export async function openDb(url: string): Promise<Db> {
  const log = slowQueryLog();
  let db: Db;
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new Sqlite(file);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a committed transaction survives power loss too, not only a process kill.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Statement journals (each multi-row statement inside a transaction keeps one, to undo just
    // that statement) and sorts stay in memory: on disk they spilled past 64 KiB into /var/tmp
    // files, ~35,000 writes per 1.4 GiB series push (touching 500 chunks a statement).
    sqlite.pragma('temp_store = MEMORY');
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), ...(log ? { log } : {}) });
    db = { kysely, dialect: 'sqlite', describe: `sqlite:${file}`, file, close: () => kysely.destroy() };
  } else if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // BIGINT (sizes) arrives as a string by default; our sizes stay far below 2^53.
    pg.types.setTypeParser(20, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle pooled connection that PostgreSQL closes (a restart, pg_terminate_backend, an idle
    // timeout) is reported here; without a listener it was an uncaught error that killed the server.
    // The pool drops that connection and opens a new one on the next query.
    pool.on('error', (err) => console.error(`steward: an idle PostgreSQL connection closed (${err.message}); the next query opens a new one`));
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    db = { kysely, dialect: 'postgres', describe: url.replace(/\/\/[^@/]*@/, '//***@'), close: () => kysely.destroy() };
  } else {
    throw new InvalidInputError(`unsupported database URL "${url}": use sqlite:PATH or postgres://…`, { field: 'db' });
  }
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider(db.dialect) });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** True when a write failed on a UNIQUE constraint, on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
