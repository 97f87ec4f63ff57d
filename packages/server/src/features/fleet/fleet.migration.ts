import type { Kysely, Migration } from 'kysely';

/**
 * 0004_fleet: the hash-chained block log (a `block` column on audit_events, a `blocks` table) and
 * the fleet (nodes, their channel subscriptions, transitions). Heights are bigint so PostgreSQL
 * does not overflow in 68 years of 1 s blocks; pg returns them as numbers (connect.ts parser).
 */
export const fleetMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('audit_events').addColumn('block', 'bigint').execute();
    await db.schema.createIndex('audit_events_by_block').on('audit_events').column('block').execute();

    await db.schema
      .createTable('blocks')
      .addColumn('height', 'bigint', (c) => c.primaryKey())
      .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
      .addColumn('events_root', 'text', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('sealed_at', 'text', (c) => c.notNull())
      .execute();

    let nodes = db.schema.createTable('nodes').addColumn('id', 'text', (c) => c.primaryKey());
    for (const col of ['token_id', 'token_name', 'profile', 'app_version', 'health', 'installed', 'telemetry', 'flagged', 'first_seen_at', 'last_seen_at']) {
      nodes = nodes.addColumn(col, 'text', (c) => c.notNull());
    }
    await nodes.addColumn('last_block', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('nodes_by_last_block').on('nodes').column('last_block').execute();

    await db.schema
      .createTable('node_channels')
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('node_channels_pk', ['node_id', 'model', 'channel'])
      .execute();
    await db.schema.createIndex('node_channels_by_channel').on('node_channels').columns(['model', 'channel']).execute();

    let tr = db.schema.createTable('fleet_transitions').addColumn('id', 'text', (c) => c.primaryKey());
    for (const col of ['model', 'channel', 'kind', 'table_json', 'state', 'reason', 'author', 'created_at']) {
      tr = tr.addColumn(col, 'text', (c) => c.notNull());
    }
    await tr
      .addColumn('previous_json', 'text')
      .addColumn('basis', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('proposed_at_block', 'bigint', (c) => c.notNull())
      .addColumn('usable_from_block', 'bigint')
      .execute();
    await db.schema.createIndex('fleet_transitions_by_channel').on('fleet_transitions').columns(['model', 'channel', 'state']).execute();
  },
};
