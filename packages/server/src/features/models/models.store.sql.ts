import type { Kysely } from 'kysely';
import { ConflictError } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/connect.ts';
import { encodeCursor } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import { fromJson } from '../../lib/json-cols.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Model, ModelStore } from './models.store.ts';

export function createModelStoreSql(db: Kysely<Database>): ModelStore {
  // latest = highest committed non-prerelease; versionCount = committed versions.
  const base = () =>
    db
      .selectFrom('models as m')
      .selectAll('m')
      .select((eb) => [
        eb
          .selectFrom('versions as v')
          .select('v.version')
          .whereRef('v.model_id', '=', 'm.id')
          .where('v.state', '=', 'committed')
          .where('v.prerelease', '=', 0)
          .orderBy('v.sort_key', 'desc')
          .limit(1)
          .as('latest'),
        eb
          .selectFrom('versions as v')
          .select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('v.model_id', '=', 'm.id')
          .where('v.state', '=', 'committed')
          .as('version_count'),
      ]);

  type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
  const toModel = (r: Row): Model => ({
    name: r.name,
    description: r.description,
    tags: fromJson(r.tags, {}),
    archived: r.archived_at !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    latest: r.latest ?? null,
    versionCount: Number(r.version_count ?? 0),
  });

  const get = async (name: string) => {
    const r = await base().where('m.name', '=', name).executeTakeFirst();
    return r ? toModel(r) : undefined;
  };

  return {
    async create(m, at, audit) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('models')
            .values({ id: newId('mdl'), name: m.name, description: m.description, tags: JSON.stringify(m.tags), archived_at: null, created_at: at, updated_at: at })
            .execute();
          await recordAudit(trx, at, audit);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`model "${m.name}" already exists`, { name: m.name }, 'model_exists');
        throw err;
      }
      return (await get(m.name))!;
    },
    findRow: (name) => db.selectFrom('models').select(['id', 'name']).where('name', '=', name).executeTakeFirst(),
    get,
    async list({ includeArchived, limit, after }) {
      let q = base().orderBy('m.name').limit(limit + 1);
      if (!includeArchived) q = q.where('m.archived_at', 'is', null);
      if (after !== undefined) q = q.where('m.name', '>', after);
      const rows = await q.execute();
      const items = rows.slice(0, limit).map(toModel);
      return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.name) : null };
    },
    async update(name, patch, at, audit) {
      const found = await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('models').select(['id', 'tags']).where('name', '=', name).executeTakeFirst();
        if (!row) return false;
        await trx
          .updateTable('models')
          .set({
            updated_at: at,
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
            ...(patch.archivedAt !== undefined ? { archived_at: patch.archivedAt } : {}),
          })
          .where('id', '=', row.id)
          .execute();
        await recordAudit(trx, at, audit);
        return true;
      });
      return found ? get(name) : undefined;
    },
  };
}
