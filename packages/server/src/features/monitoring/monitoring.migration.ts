import type { Kysely, Migration } from 'kysely';

/**
 * Migration 0005_monitoring: stored window summaries (one row per model, version, granularity and
 * window start; the summary is merged into on every flush), reference profiles, and the
 * maintenance tables (rules, rule state, webhook deliveries, label queue). Same DDL on SQLite and
 * PostgreSQL: text ids and ISO times, JSON as text.
 */
export const monitoringMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('monitoring_windows')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('granularity', 'text', (c) => c.notNull())
      .addColumn('start', 'text', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_windows_pk', ['model', 'version', 'granularity', 'start'])
      .execute();
    await db.schema.createIndex('monitoring_windows_by_start').on('monitoring_windows').columns(['granularity', 'start']).execute();
    await db.schema
      .createTable('monitoring_references')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('monitoring_references_pk', ['model', 'version'])
      .execute();
    await db.schema
      .createTable('maintenance_rules')
      .addColumn('model', 'text', (c) => c.primaryKey())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('maintenance_state')
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('maintenance_state_pk', ['model', 'rule'])
      .execute();
    await db.schema
      .createTable('maintenance_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('maintenance_deliveries_by_model').on('maintenance_deliveries').columns(['model', 'at']).execute();
    await db.schema
      .createTable('label_queue')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('row', 'text', (c) => c.notNull())
      .addColumn('uncertainty', 'double precision', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('label_queue_request', ['model', 'request_id'])
      .execute();
  },
};

export interface MonitoringTables {
  monitoring_windows: { model: string; version: string; granularity: string; start: string; count: number; summary: string; updated_at: string };
  monitoring_references: { model: string; version: string; profile: string; source: string; created_at: string };
  maintenance_rules: { model: string; spec: string; source: string; updated_at: string; updated_by: string };
  maintenance_state: { model: string; rule: string; state: string };
  maintenance_deliveries: { id: string; model: string; rule: string; url: string; status: string; attempts: number; last_error: string | null; payload: string; at: string };
  label_queue: { id: string; model: string; version: string; request_id: string; row: string; uncertainty: number; status: string; rule: string; created_at: string };
}
