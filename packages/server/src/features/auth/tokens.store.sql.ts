import type { Kysely, Selectable } from 'kysely';
import type { Database, TokensTable } from '../../db/schema.ts';
import type { Role } from '../../lib/context.ts';
import { recordAudit } from '../audit/audit.ts';
import type { TokenInfo, TokenStore } from './tokens.store.ts';

const toInfo = (r: Selectable<TokensTable>): TokenInfo => ({
  id: r.id,
  name: r.name,
  role: r.role as Role,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export function createTokenStoreSql(db: Kysely<Database>): TokenStore {
  return {
    async insert(t, at, audit) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('tokens')
          .values({ id: t.id, name: t.name, role: t.role, hash: t.hash, created_at: at, created_by: t.createdBy, revoked_at: null, last_used_at: null })
          .execute();
        await recordAudit(trx, at, audit);
      });
    },
    async findByHash(hash) {
      const r = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return r ? toInfo(r) : undefined;
    },
    async list() {
      return (await db.selectFrom('tokens').selectAll().orderBy('created_at').execute()).map(toInfo);
    },
    async revoke(id, at, audit) {
      return db.transaction().execute(async (trx) => {
        const res = await trx.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return false;
        await recordAudit(trx, at, audit);
        return true;
      });
    },
    async touch(id, at) {
      await db.updateTable('tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async countActiveAdmins() {
      const r = await db
        .selectFrom('tokens')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
