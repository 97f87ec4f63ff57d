import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * Migration 0009_monitoring_pending_segments: pending predictions move from one row each
 * (0008's `monitoring_pending`, 4–6 µs of CPU per prediction on the ingest core) to one packed
 * segment per model per flush (see pending-segment.ts), and a label's claim becomes its own row:
 *
 * - `monitoring_pending_segments`: id, model, the flushing server's time, the newest prediction
 *   time (segments past the label horizon are swept), the prediction count and the packed data
 *   (binary: BLOB on SQLite, BYTEA on PostgreSQL).
 *   Servers load segments at start (newest first, up to the pending cap) and, when a label names a
 *   request they do not hold, the segments other replicas wrote since they last looked.
 * - `monitoring_pending_claims`: (model, request id) of every stored prediction whose label was
 *   joined. INSERT … ON CONFLICT DO NOTHING RETURNING is the claim: one label joins, on one
 *   replica, once; a prediction loaded back from a segment after a restart is joinable only if
 *   it has no claim row.
 *
 * 0008's table held at most the pending joins of a development build; it is dropped, not copied.
 */
export const monitoringSegmentsMigration: Migration = {
  async up(db: Kysely<any>) {
    const sqlite = !(db.getExecutor().adapter instanceof PostgresAdapter);
    await db.schema.dropTable('monitoring_pending').ifExists().execute();
    await db.schema
      .createTable('monitoring_pending_segments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('max_t', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('data', sqlite ? 'blob' : 'bytea', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('monitoring_pending_segments_by_time').on('monitoring_pending_segments').columns(['created_at']).execute();
    await db.schema
      .createTable('monitoring_pending_claims')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('t', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_pending_claims_pk', ['model', 'request_id'])
      .$call((t) => (sqlite ? t.modifyEnd(sql`without rowid`) : t))
      .execute();
  },
};

export interface MonitoringSegmentTables {
  monitoring_pending_segments: { id: string; model: string; created_at: string; max_t: number; count: number; data: Uint8Array };
  monitoring_pending_claims: { model: string; request_id: string; t: number };
}
