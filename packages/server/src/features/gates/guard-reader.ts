import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Db } from '../../db/connect.ts';
import { gatesDb, type GatesDatabase, type GatesDb } from './gates.tables.ts';

/**
 * The channel guard runs inside the channel write transaction. On SQLite, Kysely has one
 * connection, held by that transaction, so a read through it from the guard would wait forever.
 * The guard therefore reads through a second, read-only connection (WAL lets it read committed
 * data while the writer's transaction is open). PostgreSQL has a pool: the main handle is fine.
 */
export function createGuardReader(db: Db): { db: GatesDb; close: () => Promise<void> } {
  if (db.dialect !== 'sqlite') return { db: gatesDb(db.kysely), close: async () => {} };
  const file = db.describe.slice('sqlite:'.length);
  if (file === ':memory:' || file === '') {
    throw new Error('gate enforcement needs a file-backed SQLite database or PostgreSQL (sqlite::memory: cannot be opened twice)');
  }
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<GatesDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db: kysely, close: () => kysely.destroy() };
}
