import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import { ConflictError, type FilterClause } from '@steward/core';
import type { Database, VersionAttrsTable, VersionsTable } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/connect.ts';
import { recordAudit, type AuditEntry } from '../audit/audit.ts';
import type { FileEntry } from './versions.types.ts';

export type VersionRow = Selectable<VersionsTable>;
export type AttrRow = VersionAttrsTable;

export interface ListQuery {
  /** Inclusive/exclusive sort-key bounds derived from a semver range (exactness is checked in the service). */
  lower?: { key: string; inclusive: boolean };
  upper?: { key: string; inclusive: boolean };
  clauses: FilterClause[];
  createdAfter?: string;
  createdBefore?: string;
  order: 'asc' | 'desc';
  /** Continue after this sort key. */
  after?: string;
  limit: number;
}

const DRIVER_CAP = 2000;
const OPS = { '=': '=', '!=': '<>', '>': '>', '>=': '>=', '<': '<', '<=': '<=' } as const;

export function createVersionStoreSql(db: Kysely<Database>) {
  const committed = (modelId: string) =>
    db.selectFrom('versions').selectAll().where('model_id', '=', modelId).where('state', '=', 'committed');

  function applyClauses<O>(q: SelectQueryBuilder<Database, 'versions', O>, clauses: FilterClause[]) {
    for (const c of clauses) {
      const col = typeof c.value === 'number' ? 'a.num_value' : 'a.str_value';
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('version_attrs as a')
            .select(sql.lit(1).as('one'))
            .whereRef('a.version_id', '=', 'versions.id')
            .where('a.kind', '=', c.kind)
            .where('a.key', '=', c.key)
            .where(col, OPS[c.op], c.value),
        ),
      );
    }
    return q;
  }

  const attrMatches = (modelId: string, c: FilterClause) =>
    db
      .selectFrom('version_attrs as a')
      .select('a.version_id')
      .where('a.model_id', '=', modelId)
      .where('a.kind', '=', c.kind)
      .where('a.key', '=', c.key)
      .where(typeof c.value === 'number' ? 'a.num_value' : 'a.str_value', OPS[c.op], c.value);

  /** The clause with the fewest matches if it has under DRIVER_CAP of them (counted with a capped index scan). */
  async function selectiveClause(modelId: string, clauses: FilterClause[]): Promise<FilterClause | undefined> {
    let best: { c: FilterClause; n: number } | undefined;
    for (const c of clauses) {
      if (c.op === '!=') continue;
      const r = await db
        .selectFrom(attrMatches(modelId, c).limit(DRIVER_CAP).as('x'))
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const n = Number(r.n);
      if (n < DRIVER_CAP && (!best || n < best.n)) best = { c, n };
    }
    return best?.c;
  }

  return {
    findCommitted: (modelId: string, version: string) => committed(modelId).where('version', '=', version).executeTakeFirst(),

    findDraft: (modelId: string, id: string) =>
      db.selectFrom('versions').selectAll().where('model_id', '=', modelId).where('id', '=', id).where('state', '=', 'draft').executeTakeFirst(),

    latest: (modelId: string) => committed(modelId).where('prerelease', '=', 0).orderBy('sort_key', 'desc').limit(1).executeTakeFirst(),

    async committedVersionStrings(modelId: string): Promise<string[]> {
      const rows = await db.selectFrom('versions').select('version').where('model_id', '=', modelId).where('state', '=', 'committed').execute();
      return rows.map((r) => r.version);
    },

    async insertDraft(row: VersionRow): Promise<void> {
      await db.insertInto('versions').values(row).execute();
    },

    async setDraftFiles(versionId: string, files: FileEntry[]): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const f of files) {
          await trx
            .insertInto('version_files')
            .values({ version_id: versionId, path: f.path, sha256: f.sha256, size: f.size })
            .onConflict((oc) => oc.columns(['version_id', 'path']).doUpdateSet({ sha256: f.sha256, size: f.size }))
            .execute();
        }
      });
    },

    async files(versionIds: string[]): Promise<Map<string, FileEntry[]>> {
      const out = new Map<string, FileEntry[]>(versionIds.map((id) => [id, []]));
      for (let i = 0; i < versionIds.length; i += 500) {
        const rows = await db.selectFrom('version_files').selectAll().where('version_id', 'in', versionIds.slice(i, i + 500)).execute();
        for (const r of rows) out.get(r.version_id)!.push({ path: r.path, sha256: r.sha256, size: Number(r.size) });
      }
      return out;
    },

    /** Flip a draft to committed with its signed manifest and searchable attributes, atomically. */
    async commit(
      draftId: string,
      fields: { committedAt: string; manifest: string; signature: string; keyId: string },
      attrs: AttrRow[],
      audit: AuditEntry,
    ): Promise<void> {
      try {
        await db.transaction().execute(async (trx) => {
          const res = await trx
            .updateTable('versions')
            .set({ state: 'committed', committed_at: fields.committedAt, manifest: fields.manifest, signature: fields.signature, key_id: fields.keyId, expires_at: null })
            .where('id', '=', draftId)
            .where('state', '=', 'draft')
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) throw new ConflictError('draft was committed or removed concurrently', { draft: draftId }, 'draft_gone');
          for (let i = 0; i < attrs.length; i += 200) await trx.insertInto('version_attrs').values(attrs.slice(i, i + 200)).execute();
          await recordAudit(trx, fields.committedAt, audit);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError('this version number was committed concurrently', { draft: draftId }, 'version_exists');
        throw err;
      }
    },

    async deleteDraft(id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('version_files').where('version_id', '=', id).execute();
        await trx.deleteFrom('versions').where('id', '=', id).where('state', '=', 'draft').execute();
      });
    },

    /** Removes drafts whose lease ran out (pushes that died); their blobs stay for GC to judge. */
    async sweepExpiredDrafts(nowIso: string): Promise<number> {
      const ids = (await db.selectFrom('versions').select('id').where('state', '=', 'draft').where('expires_at', '<', nowIso).execute()).map((r) => r.id);
      for (const id of ids) await this.deleteDraft(id);
      return ids.length;
    },

    async updateMeta(versionId: string, patch: { description?: string; tags?: Record<string, string> }, modelId: string, at: string, audit: AuditEntry) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('versions')
          .set({
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
          })
          .where('id', '=', versionId)
          .execute();
        if (patch.tags !== undefined) {
          await trx.deleteFrom('version_attrs').where('version_id', '=', versionId).where('kind', '=', 'tag').execute();
          const rows = Object.entries(patch.tags).map(([key, v]) => ({ version_id: versionId, model_id: modelId, kind: 'tag' as const, key, num_value: null, str_value: v }));
          if (rows.length) await trx.insertInto('version_attrs').values(rows).execute();
        }
        await recordAudit(trx, at, audit);
      });
    },

    async list(modelId: string, q: ListQuery): Promise<VersionRow[]> {
      // A selective clause drives the query from the attribute index and sorts its few matches
      // (CROSS JOIN fixes that join order on SQLite); otherwise matches are dense, and walking the
      // sort-key index with per-row checks stops after about `limit` rows.
      const driver = await selectiveClause(modelId, q.clauses);
      let query = (
        driver
          ? db.selectFrom(attrMatches(modelId, driver).as('x')).crossJoin('versions').selectAll('versions').whereRef('versions.id', '=', 'x.version_id')
          : db.selectFrom('versions').selectAll('versions')
      ) as unknown as SelectQueryBuilder<Database, 'versions', VersionRow>;
      query = query.where('versions.model_id', '=', modelId).where('versions.state', '=', 'committed');
      if (q.lower) query = query.where('versions.sort_key', q.lower.inclusive ? '>=' : '>', q.lower.key);
      if (q.upper) query = query.where('versions.sort_key', q.upper.inclusive ? '<=' : '<', q.upper.key);
      if (q.createdAfter) query = query.where('versions.created_at', '>=', q.createdAfter);
      if (q.createdBefore) query = query.where('versions.created_at', '<', q.createdBefore);
      if (q.after !== undefined) query = query.where('versions.sort_key', q.order === 'desc' ? '<' : '>', q.after);
      query = applyClauses(query, q.clauses);
      return query.orderBy('versions.sort_key', q.order).limit(q.limit).execute();
    },
  };
}

export type VersionStore = ReturnType<typeof createVersionStoreSql>;
