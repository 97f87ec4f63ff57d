import type { Kysely, Migration } from 'kysely';

/**
 * 0003_rollouts: rollout plans and the per-version telemetry windows their analyses read.
 *
 * `active_key` is `<model_id>/<channel>` while a rollout is scheduled, running or paused and NULL
 * once it ends: a unique index on it makes "one active rollout per channel" a database fact, and
 * NULLs never collide on either dialect. `revision` is bumped by every state change; writers use
 * `UPDATE … WHERE revision = ?` so two server processes never both advance the same step.
 */
export const rolloutsMigration: Migration = {
  async up(db: Kysely<any>) {
    let t = db.schema.createTable('rollouts').addColumn('id', 'text', (c) => c.primaryKey());
    for (const col of ['model_id', 'model', 'channel', 'state', 'strategy', 'target_version', 'spec_json', 'previous_table_json', 'table_json', 'analysis_json', 'message', 'created_by', 'created_at', 'updated_at', 'step_started_at']) {
      t = t.addColumn(col, 'text', (c) => c.notNull());
    }
    for (const col of ['step_index', 'critical', 'overdue', 'applied', 'revision']) t = t.addColumn(col, 'integer', (c) => c.notNull());
    for (const col of ['active_key', 'paused_reason', 'deadline_at', 'finished_at']) t = t.addColumn(col, 'text');
    await t.execute();
    await db.schema.createIndex('rollouts_active_unique').on('rollouts').column('active_key').unique().execute();
    await db.schema.createIndex('rollouts_by_channel').on('rollouts').columns(['model_id', 'channel', 'created_at']).execute();
    await db.schema.createIndex('rollouts_by_state').on('rollouts').columns(['state']).execute();

    let w = db.schema.createTable('telemetry_windows').addColumn('id', 'text', (c) => c.primaryKey());
    for (const col of ['model', 'channel', 'version', 'variant', 'arm', 'node', 'window_start', 'window_end', 'latency_json', 'counters_json', 'received_at']) {
      w = w.addColumn(col, 'text', (c) => c.notNull());
    }
    for (const col of ['requests', 'errors', 'shadow_compared', 'shadow_agreed']) w = w.addColumn(col, 'bigint', (c) => c.notNull());
    await w.execute();
    await db.schema.createIndex('telemetry_by_version').on('telemetry_windows').columns(['model', 'version', 'window_end']).execute();
  },
};
