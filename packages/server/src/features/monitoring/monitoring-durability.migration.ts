import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * Migration 0008_monitoring_durability: what an in-memory aggregator used to lose on restart.
 * (0009 replaces `monitoring_pending` by packed segments and claim rows; this one stays as it ran.)
 *
 * `monitoring_pending` holds each prediction still waiting for its label (written in bulk with the
 * window flush, claimed with DELETE … RETURNING when its feedback arrives, so two replicas never
 * both join one label; rows older than the label horizon are swept with the hourly prune). It
 * carries exactly what the join needs: the window start, the score, whether the prediction was
 * positive, and the group attributes as JSON. No index on `t`: the sweep is hourly, and every
 * index would tax the bulk insert on the ingest path. On SQLite the table is WITHOUT ROWID (one
 * B-tree keyed by (model, request id) instead of a rowid table plus its key index: ~30% less
 * insert time).
 *
 * `monitoring_detectors` holds the Page-Hinkley, ADWIN and DDM state of each model version as JSON
 * (`Detector.toState()`), written at flush and read back when the server starts.
 */
export const monitoringDurabilityMigration: Migration = {
  async up(db: Kysely<any>) {
    const sqlite = !(db.getExecutor().adapter instanceof PostgresAdapter);
    await db.schema
      .createTable('monitoring_pending')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('t', 'bigint', (c) => c.notNull())
      .addColumn('score', 'double precision')
      .addColumn('positive', 'integer', (c) => c.notNull())
      .addColumn('groups', 'text')
      .addPrimaryKeyConstraint('monitoring_pending_pk', ['model', 'request_id'])
      .$call((t) => (sqlite ? t.modifyEnd(sql`without rowid`) : t))
      .execute();
    await db.schema
      .createTable('monitoring_detectors')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_detectors_pk', ['model', 'version'])
      .execute();
  },
};

export interface MonitoringDurabilityTables {
  monitoring_pending: { model: string; request_id: string; version: string; t: number; score: number | null; positive: number; groups: string | null };
  monitoring_detectors: { model: string; version: string; state: string; updated_at: string };
}
