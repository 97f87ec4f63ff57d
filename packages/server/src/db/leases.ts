import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely, Migration } from 'kysely';
import type { Database } from './schema.ts';

/** One row per named lease: who holds it and until when (ISO times compare as text). */
export interface LeasesTable {
  name: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

type LeaseDb = Kysely<Database & { leases: LeasesTable }>;

/** 0010_leases: named leases, so a job that must not run twice at once across servers sharing a database takes one. */
export const leasesMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('acquired_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
};

export interface LeaseHeld {
  holder: string;
  acquiredAt: string;
  expiresAt: string;
}

/**
 * Leases shared by every server on one database. Taking one is a single conditional upsert (free,
 * expired, or already ours), so two servers racing for it get one winner on SQLite and PostgreSQL
 * alike. A holder that dies loses the lease when it expires (at once to a process of its own host);
 * a live one renews it while it works.
 */
export function createLeases(db: Kysely<Database>, o: { now: () => Date; holder?: string }) {
  const ldb = db as unknown as LeaseDb;
  const host = hostname();
  /** host/pid/random: a lease left by a dead process of this host can be recognised (see `acquire`). */
  const holder = o.holder ?? `${host}/${process.pid}/${randomBytes(3).toString('hex')}`;
  const iso = (ms: number) => new Date(ms).toISOString();

  /** The holder is a process of this host that no longer runs (a server restarted after a crash). */
  function deadHere(other: string): boolean {
    const [h, pid] = other.split('/');
    if (h !== host || !/^\d+$/.test(pid ?? '') || Number(pid) === process.pid) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  /**
   * Takes or renews `name` for `ttlMs`: free, expired, already ours, or (compare-and-set on the
   * holder) held by a dead process of this host, so a server restarted after a crash does not wait
   * out the lease its previous process left.
   */
  async function acquire(name: string, ttlMs: number): Promise<boolean> {
    const now = o.now().getTime();
    const take = { holder, acquired_at: iso(now), expires_at: iso(now + ttlMs) };
    const r = await ldb
      .insertInto('leases')
      .values({ name, ...take })
      .onConflict((oc) => oc.column('name').doUpdateSet(take).where((eb) => eb.or([eb('leases.expires_at', '<', iso(now)), eb('leases.holder', '=', holder)])))
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) return true;
    const row = await ldb.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst();
    if (!row || !deadHere(row.holder)) return false;
    const u = await ldb.updateTable('leases').set(take).where('name', '=', name).where('holder', '=', row.holder).executeTakeFirst();
    return Number(u.numUpdatedRows) > 0;
  }

  /** Who holds `name` now, if anyone (an expired lease is nobody's). */
  async function heldBy(name: string): Promise<LeaseHeld | null> {
    const row = await ldb.selectFrom('leases').selectAll().where('name', '=', name).where('expires_at', '>=', iso(o.now().getTime())).executeTakeFirst();
    return row ? { holder: row.holder, acquiredAt: row.acquired_at, expiresAt: row.expires_at } : null;
  }

  async function release(name: string): Promise<void> {
    await ldb.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
  }

  return {
    holder,
    acquire,
    heldBy,
    release,
    /**
     * Runs `fn` holding `name`, renewing it every third of `ttlMs`; `busy` is called instead when
     * another holder has it. The lease is released when `fn` settles.
     */
    async withLease<T>(name: string, ttlMs: number, fn: () => Promise<T>, busy: (held: LeaseHeld | null) => never): Promise<T> {
      if (!(await acquire(name, ttlMs))) busy(await heldBy(name));
      const renew = setInterval(() => void acquire(name, ttlMs).catch(() => undefined), Math.max(1000, Math.floor(ttlMs / 3)));
      renew.unref?.();
      try {
        return await fn();
      } finally {
        clearInterval(renew);
        await release(name).catch(() => undefined);
      }
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;
