import type { Kysely } from 'kysely';
import { mergeWindowSummaries, windowSummaryFromJSON, windowSummaryToJSON, type Random, type ReferenceProfile, type WindowSummary } from '@steward/core';
import type { MonitoringTables } from './monitoring.migration.ts';

export type Granularity = '1m' | '1h' | '1d';
export const GRANULARITY_MS: Record<Granularity, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface StoredWindow {
  model: string;
  version: string;
  granularity: Granularity;
  /** ISO start of the window. */
  start: string;
  summary: WindowSummary;
}

/** Stored windows are merged into, never overwritten: a flush is read → merge → write in one transaction. */
export function createMonitoringStoreSql(db: Kysely<MonitoringTables>, random: Random) {
  return {
    async mergeWindows(items: StoredWindow[], at: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const w of items) {
          const key = { model: w.model, version: w.version, granularity: w.granularity, start: w.start };
          const row = await trx
            .selectFrom('monitoring_windows').select('summary')
            .where('model', '=', key.model).where('version', '=', key.version).where('granularity', '=', key.granularity).where('start', '=', key.start)
            .executeTakeFirst();
          const merged = row ? mergeWindowSummaries(windowSummaryFromJSON(JSON.parse(row.summary)), w.summary, random) : w.summary;
          const summary = JSON.stringify(windowSummaryToJSON(merged));
          if (row) {
            await trx.updateTable('monitoring_windows').set({ summary, count: merged.count, updated_at: at })
              .where('model', '=', key.model).where('version', '=', key.version).where('granularity', '=', key.granularity).where('start', '=', key.start)
              .execute();
          } else {
            await trx.insertInto('monitoring_windows').values({ ...key, summary, count: merged.count, updated_at: at }).execute();
          }
        }
      });
    },

    /** Windows with start in [since, until), oldest first; version undefined = every version. */
    async windows(model: string, version: string | undefined, granularity: Granularity, since: string, until: string): Promise<StoredWindow[]> {
      let q = db.selectFrom('monitoring_windows').selectAll()
        .where('model', '=', model).where('granularity', '=', granularity).where('start', '>=', since).where('start', '<', until);
      if (version !== undefined) q = q.where('version', '=', version);
      const rows = await q.orderBy('start').orderBy('version').execute();
      return rows.map((r) => ({ model: r.model, version: r.version, granularity, start: r.start, summary: windowSummaryFromJSON(JSON.parse(r.summary)) }));
    },

    async prune(granularity: Granularity, before: string): Promise<void> {
      await db.deleteFrom('monitoring_windows').where('granularity', '=', granularity).where('start', '<', before).execute();
    },

    async putReference(model: string, version: string, profile: ReferenceProfile, source: string, at: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('monitoring_references').where('model', '=', model).where('version', '=', version).execute();
        await trx.insertInto('monitoring_references').values({ model, version, profile: JSON.stringify(profile), source, created_at: at }).execute();
      });
    },

    async reference(model: string, version: string): Promise<{ profile: ReferenceProfile; source: string; createdAt: string } | undefined> {
      const r = await db.selectFrom('monitoring_references').selectAll().where('model', '=', model).where('version', '=', version).executeTakeFirst();
      return r ? { profile: JSON.parse(r.profile) as ReferenceProfile, source: r.source, createdAt: r.created_at } : undefined;
    },
  };
}

export type MonitoringStore = ReturnType<typeof createMonitoringStoreSql>;
