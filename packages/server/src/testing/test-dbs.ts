import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe } from 'vitest';

export interface TestDbTarget {
  name: 'sqlite' | 'postgres';
  /** null: this target is skipped (PostgreSQL not configured and not required). */
  create: (() => Promise<{ url: string; cleanup: () => Promise<void> }>) | null;
}

/**
 * Every metadata test runs on both dialects. PostgreSQL comes from STEWARD_TEST_PG_URL (a server
 * URL; each suite gets a fresh database that is dropped afterwards). With STEWARD_REQUIRE_PG=1 a
 * missing URL fails the suite instead of skipping it.
 */
export function testDbTargets(env: NodeJS.ProcessEnv = process.env): TestDbTarget[] {
  const sqlite: TestDbTarget = {
    name: 'sqlite',
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'steward-db-'));
      return { url: `sqlite:${join(dir, 'steward.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  };
  const base = env.STEWARD_TEST_PG_URL;
  const required = env.STEWARD_REQUIRE_PG === '1';
  let postgres: TestDbTarget;
  if (base) {
    postgres = { name: 'postgres', create: () => createPgDatabase(base) };
  } else if (required) {
    postgres = {
      name: 'postgres',
      create: async () => {
        throw new Error('STEWARD_REQUIRE_PG=1 but STEWARD_TEST_PG_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
      },
    };
  } else {
    postgres = { name: 'postgres', create: null };
  }
  return [sqlite, postgres];
}

async function createPgDatabase(base: string) {
  const name = `steward_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    cleanup: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh database of one target, for the tests of one `describeEachDb` block. */
export interface TestDb {
  name: TestDbTarget['name'];
  /** Its URL (from the block's first `beforeAll` on). */
  readonly url: string;
}

/**
 * One describe block per target (`${title} on sqlite`, `… on postgres`), each with a fresh
 * database created before the block's own hooks and dropped after them (vitest runs `afterAll`
 * hooks in reverse order). A skipped target skips its block.
 */
export function describeEachDb(title: string, body: (db: TestDb) => void): void {
  for (const target of testDbTargets()) {
    const d = target.create ? describe : describe.skip;
    d(`${title} on ${target.name}`, () => {
      let created: { url: string; cleanup: () => Promise<void> } | undefined;
      beforeAll(async () => {
        created = await target.create!();
      });
      afterAll(async () => {
        await created?.cleanup();
      });
      body({
        name: target.name,
        get url() {
          if (!created) throw new Error(`the ${target.name} test database is created in beforeAll: read db.url inside a hook or a test`);
          return created.url;
        },
      });
    });
  }
}
