import { randomUUID } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import { mergeWindowSummaries, windowSummaryFromJSON, windowSummaryToJSON, type Random, type ReferenceProfile, type WindowSummary } from '@steward/core';
import type { MonitoringDurabilityTables } from './monitoring-durability.migration.ts';
import type { MonitoringSegmentTables } from './monitoring-segments.migration.ts';
import { encodeColumns } from './pending-segment.ts';
import type { SegmentColumns } from './pending-table.ts';
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

/** A stored prediction's key, with its time (claims are swept by it). */
export interface PendingKey {
  model: string;
  requestId: string;
  t: number;
}

/** Everything one flush writes, in one transaction: a crash leaves all of it or none. */
export interface FlushBatch {
  windows: StoredWindow[];
  /** New predictions awaiting a label, column by column: one packed segment per model. */
  pending: Array<{ model: string; columns: SegmentColumns }>;
  /** Stored predictions (written by an earlier flush) whose label was joined in memory: claimed. */
  joined: PendingKey[];
  /** Detector state per model version, JSON. */
  detectors: Array<{ model: string; version: string; state: string }>;
}

type Tables = MonitoringTables & MonitoringDurabilityTables & MonitoringSegmentTables;

/** Claims per multi-row INSERT (3 parameters each: far below either dialect's limit). */
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

  /** One segment row per model; returns the new segment ids. */
  async function insertSegments(trx: Transaction<Tables>, segments: FlushBatch['pending'], at: string): Promise<string[]> {
    const ids: string[] = [];
    for (const { model, columns } of segments) {
      const { data, maxT } = encodeColumns(columns);
      const id = randomUUID();
      await trx.insertInto('monitoring_pending_segments').values({ id, model, created_at: at, max_t: maxT, count: columns.ids.length, data }).execute();
      ids.push(id);
    }
    return ids;
  }

  /** Inserts claim rows; returns the keys (model NUL request id) this call claimed first. */
  async function insertClaims(q: Kysely<Tables> | Transaction<Tables>, keys: PendingKey[]): Promise<Set<string>> {
    const won = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_PER_STATEMENT) {
      const slice = keys.slice(i, i + KEYS_PER_STATEMENT).map((k) => ({ model: k.model, request_id: k.requestId, t: k.t }));
      const rows = await q.insertInto('monitoring_pending_claims').values(slice)
        .onConflict((oc) => oc.columns(['model', 'request_id']).doNothing())
        .returning(['model', 'request_id']).execute();
      for (const r of rows) won.add(`${r.model}\0${r.request_id}`);
    }
    return won;
  }

  /** Returns the ids of the pending segments written. */
  async function flush(batch: FlushBatch, at: string): Promise<string[]> {
    const windows = [...batch.windows].sort((a, b) => cmp(a.model, b.model) || cmp(a.version, b.version) || cmp(a.granularity, b.granularity) || cmp(a.start, b.start));
    return db.transaction().execute(async (trx) => {
      for (const w of windows) await mergeOne(trx, w, at);
      const ids = batch.pending.length > 0 ? await insertSegments(trx, batch.pending, at) : [];
      if (batch.joined.length > 0) await insertClaims(trx, batch.joined);
      for (const d of batch.detectors) {
        await trx.insertInto('monitoring_detectors').values({ model: d.model, version: d.version, state: d.state, updated_at: at })
          .onConflict((oc) => oc.columns(['model', 'version']).doUpdateSet({ state: d.state, updated_at: at }))
          .execute();
      }
      return ids;
    });
  }

  return {
    flush,

    /** Merges windows only (tests and tools); the service flushes through `flush`. */
    mergeWindows: async (items: StoredWindow[], at: string): Promise<void> => {
      await flush({ windows: items, pending: [], joined: [], detectors: [] }, at);
    },

    /**
     * Claims stored predictions for their labels: INSERT … ON CONFLICT DO NOTHING RETURNING, so
     * a label joins once even when two replicas (or a replica before and after a restart) get it.
     * Returns the keys (model NUL request id) claimed by this call.
     */
    claim: (keys: PendingKey[]): Promise<Set<string>> => insertClaims(db, keys),

    /** Segments whose newest prediction is at or after `minT` (and written since), newest first, without their data. */
    async segmentList(minT: number, writtenSince?: string): Promise<Array<{ id: string; model: string; createdAt: string; count: number }>> {
      let q = db.selectFrom('monitoring_pending_segments').select(['id', 'model', 'created_at', 'count']).where('max_t', '>=', minT);
      if (writtenSince !== undefined) q = q.where('created_at', '>=', writtenSince);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, model: r.model, createdAt: r.created_at, count: Number(r.count) }));
    },

    /** The data of some segments, in the order asked. */
    async segmentData(ids: string[]): Promise<Array<{ id: string; model: string; createdAt: string; data: Uint8Array }>> {
      const out: Array<{ id: string; model: string; createdAt: string; data: Uint8Array }> = [];
      for (let i = 0; i < ids.length; i += KEYS_PER_STATEMENT) {
        const rows = await db.selectFrom('monitoring_pending_segments').select(['id', 'model', 'created_at', 'data']).where('id', 'in', ids.slice(i, i + KEYS_PER_STATEMENT)).execute();
        for (const r of rows) out.push({ id: r.id, model: r.model, createdAt: r.created_at, data: r.data });
      }
      const order = new Map(ids.map((id, k) => [id, k]));
      return out.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    },

    /** Drops segments and claims past the label horizon (predictions made before `beforeMs`). */
    async sweepPending(beforeMs: number): Promise<void> {
      await db.deleteFrom('monitoring_pending_segments').where('max_t', '<', beforeMs).execute();
      await db.deleteFrom('monitoring_pending_claims').where('t', '<', beforeMs).execute();
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
