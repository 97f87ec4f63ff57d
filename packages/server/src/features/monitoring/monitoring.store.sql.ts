import { CompiledQuery, PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import { mergeWindowSummaries, windowSummaryFromJSON, windowSummaryToJSON, type Random, type ReferenceProfile, type WindowSummary } from '@steward/core';
import type { MonitoringDurabilityTables } from './monitoring-durability.migration.ts';
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

/** A prediction waiting for its label, as stored (and as claimed back). */
export interface PendingRow {
  model: string;
  requestId: string;
  version: string;
  /** Epoch ms of the prediction. */
  t: number;
  score?: number | undefined;
  predictedPositive: boolean;
  groups?: Record<string, string> | undefined;
}

/** Everything one flush writes, in one transaction: a crash leaves all of it or none. */
export interface FlushBatch {
  windows: StoredWindow[];
  /** New predictions awaiting a label (already-stored request ids are left as they are). */
  pending: PendingRow[];
  /** Keys (model, request id) of stored predictions whose label was joined in memory. */
  joined: Array<{ model: string; requestId: string }>;
  /** Detector state per model version, JSON. */
  detectors: Array<{ model: string; version: string; state: string }>;
}

type Tables = MonitoringTables & MonitoringDurabilityTables;

/** Rows per multi-row INSERT: 7 parameters each stays far below SQLite's and PostgreSQL's limits. */
const PENDING_ROWS_PER_INSERT = 1000;
const KEYS_PER_STATEMENT = 500;

/**
 * Stored windows are merged into, never overwritten: a flush is read → merge → write in one
 * transaction. On PostgreSQL two replicas may flush the same window at once, so the read takes a
 * row lock (`FOR UPDATE`) and a missing row is inserted with `ON CONFLICT DO NOTHING` and re-read
 * under lock when another replica inserted it first; windows are visited in key order so two
 * flushes never wait on each other's locks in a cycle. SQLite serialises writers by itself (a
 * second process gets SQLITE_BUSY, the flush fails and its deltas are kept for the next one).
 */
export function createMonitoringStoreSql(db: Kysely<Tables>, random: Random) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const ph = (i: number) => (postgres ? `$${i}` : '?');

  async function mergeOne(trx: Transaction<Tables>, w: StoredWindow, at: string): Promise<void> {
    const select = () => {
      const q = trx.selectFrom('monitoring_windows').select('summary')
        .where('model', '=', w.model).where('version', '=', w.version).where('granularity', '=', w.granularity).where('start', '=', w.start);
      return (postgres ? q.forUpdate() : q).executeTakeFirst();
    };
    let row = await select();
    if (!row) {
      const summary = JSON.stringify(windowSummaryToJSON(w.summary));
      const ins = await trx.insertInto('monitoring_windows')
        .values({ model: w.model, version: w.version, granularity: w.granularity, start: w.start, summary, count: w.summary.count, updated_at: at })
        .onConflict((oc) => oc.columns(['model', 'version', 'granularity', 'start']).doNothing())
        .executeTakeFirst();
      if (Number(ins.numInsertedOrUpdatedRows ?? 0n) === 1) return;
      // Another replica inserted this window between our read and our insert: merge into its row.
      row = await select();
      if (!row) throw new Error(`monitoring window ${w.model}@${w.version} ${w.granularity} ${w.start} vanished during a flush`);
    }
    const merged = mergeWindowSummaries(windowSummaryFromJSON(JSON.parse(row.summary)), w.summary, random);
    await trx.updateTable('monitoring_windows').set({ summary: JSON.stringify(windowSummaryToJSON(merged)), count: merged.count, updated_at: at })
      .where('model', '=', w.model).where('version', '=', w.version).where('granularity', '=', w.granularity).where('start', '=', w.start)
      .execute();
  }

  /** One multi-row INSERT per 1,000 predictions, compiled by hand: building a Kysely tree of 7,000 values costs more than the insert. */
  async function insertPending(trx: Transaction<Tables>, rows: PendingRow[]): Promise<void> {
    for (let at = 0; at < rows.length; at += PENDING_ROWS_PER_INSERT) {
      const n = Math.min(PENDING_ROWS_PER_INSERT, rows.length - at);
      const params: unknown[] = new Array(n * 7);
      const tuples: string[] = new Array(n);
      for (let i = 0, p = 0; i < n; i++) {
        const r = rows[at + i]!;
        params[p] = r.model;
        params[p + 1] = r.requestId;
        params[p + 2] = r.version;
        params[p + 3] = r.t;
        params[p + 4] = r.score ?? null;
        params[p + 5] = r.predictedPositive ? 1 : 0;
        params[p + 6] = r.groups ? JSON.stringify(r.groups) : null;
        tuples[i] = `(${ph(p + 1)},${ph(p + 2)},${ph(p + 3)},${ph(p + 4)},${ph(p + 5)},${ph(p + 6)},${ph(p + 7)})`;
        p += 7;
      }
      await trx.executeQuery(CompiledQuery.raw(
        `insert into monitoring_pending (model, request_id, version, t, score, positive, groups) values ${tuples.join(',')} on conflict (model, request_id) do nothing`,
        params,
      ));
    }
  }

  /** Per model, request ids in slices that stay below every dialect's parameter limit. */
  function slices(keys: Array<{ model: string; requestId: string }>): Array<{ model: string; ids: string[] }> {
    const byModel = new Map<string, string[]>();
    for (const k of keys) {
      const ids = byModel.get(k.model);
      if (ids) ids.push(k.requestId);
      else byModel.set(k.model, [k.requestId]);
    }
    const out: Array<{ model: string; ids: string[] }> = [];
    for (const [model, ids] of byModel) for (let i = 0; i < ids.length; i += KEYS_PER_STATEMENT) out.push({ model, ids: ids.slice(i, i + KEYS_PER_STATEMENT) });
    return out;
  }

  async function flush(batch: FlushBatch, at: string): Promise<void> {
    const windows = [...batch.windows].sort((a, b) => cmp(a.model, b.model) || cmp(a.version, b.version) || cmp(a.granularity, b.granularity) || cmp(a.start, b.start));
    await db.transaction().execute(async (trx) => {
      for (const w of windows) await mergeOne(trx, w, at);
      if (batch.pending.length > 0) await insertPending(trx, batch.pending);
      for (const s of slices(batch.joined)) await trx.deleteFrom('monitoring_pending').where('model', '=', s.model).where('request_id', 'in', s.ids).execute();
      for (const d of batch.detectors) {
        await trx.insertInto('monitoring_detectors').values({ model: d.model, version: d.version, state: d.state, updated_at: at })
          .onConflict((oc) => oc.columns(['model', 'version']).doUpdateSet({ state: d.state, updated_at: at }))
          .execute();
      }
    });
  }

  return {
    flush,

    /** Merges windows only (tests and tools); the service flushes through `flush`. */
    mergeWindows: (items: StoredWindow[], at: string): Promise<void> => flush({ windows: items, pending: [], joined: [], detectors: [] }, at),

    /**
     * Takes the stored predictions with these request ids out of the table and returns them: the
     * DELETE … RETURNING is the claim, so a label joins once even when two replicas receive it.
     */
    async claimPending(keys: Array<{ model: string; requestId: string }>): Promise<PendingRow[]> {
      const out: PendingRow[] = [];
      for (const s of slices(keys)) {
        const rows = await db.deleteFrom('monitoring_pending').where('model', '=', s.model).where('request_id', 'in', s.ids).returningAll().execute();
        for (const r of rows) {
          const p: PendingRow = { model: r.model, requestId: r.request_id, version: r.version, t: Number(r.t), predictedPositive: r.positive === 1 };
          if (r.score !== null) p.score = r.score;
          if (r.groups !== null) p.groups = JSON.parse(r.groups) as Record<string, string>;
          out.push(p);
        }
      }
      return out;
    },

    /** Drops stored predictions made before `beforeMs` (past the label horizon); returns how many. */
    async expirePending(beforeMs: number): Promise<number> {
      const r = await db.deleteFrom('monitoring_pending').where('t', '<', beforeMs).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async detectors(): Promise<Array<{ model: string; version: string; state: string }>> {
      return db.selectFrom('monitoring_detectors').select(['model', 'version', 'state']).execute();
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

/** Byte order, the same on both dialects, so every replica takes row locks in one order. */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type MonitoringStore = ReturnType<typeof createMonitoringStoreSql>;
