import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { rolloutsMigration } from '../features/rollouts/rollouts.migration.ts';
import { fleetMigration } from '../features/fleet/fleet.migration.ts';
import { fleetInstalledMigration } from '../features/fleet/fleet-installed.migration.ts';
import { gatesMigration } from '../features/gates/gates.migration.ts';
import { monitoringMigration } from '../features/monitoring/monitoring.migration.ts';
import { monitoringDurabilityMigration } from '../features/monitoring/monitoring-durability.migration.ts';
import { monitoringSegmentsMigration } from '../features/monitoring/monitoring-segments.migration.ts';
import { chunksMigration } from '../features/storage/storage.migration.ts';
import { leasesMigration } from './leases.ts';

type Dialect = 'sqlite' | 'postgres';

/**
 * Migrations are code, ordered by name, identical on both dialects except where a type must
 * differ: `sort_key` uses the "C" collation on PostgreSQL so its order is byte order, like SQLite's
 * default BINARY collation (the semver sort key relies on it).
 */
function registry(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      const bin = (col: any) => (dialect === 'postgres' ? col.modifyEnd(sql`collate "C"`) : col);
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('archived_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      let versions = db.schema
        .createTable('versions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('sort_key', 'text', (c) => bin(c.notNull()))
        .addColumn('prerelease', 'integer', (c) => c.notNull());
      for (const col of ['state', 'description', 'params', 'metrics', 'tags', 'datasets', 'dependencies', 'author', 'created_at']) {
        versions = versions.addColumn(col, 'text', (c) => c.notNull());
      }
      for (const col of ['input_schema', 'output_schema', 'parent', 'relation', 'committed_at', 'expires_at', 'manifest', 'signature', 'key_id']) {
        versions = versions.addColumn(col, 'text');
      }
      await versions.execute();
      // One committed row per number; any number of abandoned drafts may coexist until swept.
      await db.schema
        .createIndex('versions_committed_unique')
        .on('versions')
        .columns(['model_id', 'version'])
        .unique()
        .where(sql.ref('state'), '=', 'committed')
        .execute();
      await db.schema.createIndex('versions_by_sort').on('versions').columns(['model_id', 'state', 'sort_key']).execute();
      await db.schema.createIndex('versions_by_created').on('versions').columns(['model_id', 'state', 'created_at']).execute();
      await db.schema.createIndex('versions_by_expiry').on('versions').columns(['state', 'expires_at']).execute();

      await db.schema
        .createTable('version_files')
        .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('version_files_pk', ['version_id', 'path'])
        .execute();
      await db.schema.createIndex('version_files_by_sha').on('version_files').column('sha256').execute();

      await db.schema
        .createTable('version_attrs')
        .addColumn('version_id', 'text', (c) => c.notNull().references('versions.id').onDelete('cascade'))
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('num_value', 'double precision')
        .addColumn('str_value', 'text')
        .addPrimaryKeyConstraint('version_attrs_pk', ['version_id', 'kind', 'key'])
        .execute();
      await db.schema.createIndex('version_attrs_num').on('version_attrs').columns(['model_id', 'kind', 'key', 'num_value']).execute();
      await db.schema.createIndex('version_attrs_str').on('version_attrs').columns(['model_id', 'kind', 'key', 'str_value']).execute();

      await db.schema
        .createTable('blobs')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('channels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('table_json', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('channels_model_name', ['model_id', 'name'])
        .execute();

      await db.schema
        .createTable('channel_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('from_json', 'text')
        .addColumn('to_json', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        // seq is per channel and assigned inside the write transaction; the constraint makes two
        // racing writers collide instead of both "winning".
        .addUniqueConstraint('channel_events_seq', ['model_id', 'channel', 'seq'])
        .execute();
      await db.schema.createIndex('channel_events_by_time').on('channel_events').columns(['model_id', 'channel', 'at']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addColumn('last_used_at', 'text')
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_by_time').on('audit_events').column('at').execute();

      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => ({ '0001_registry': registry(dialect), '0002_gates': gatesMigration(), '0003_rollouts': rolloutsMigration, '0004_fleet': fleetMigration, '0005_monitoring': monitoringMigration, '0006_chunks': chunksMigration, '0007_fleet_installed': fleetInstalledMigration, '0008_monitoring_durability': monitoringDurabilityMigration, '0009_monitoring_pending_segments': monitoringSegmentsMigration, '0010_leases': leasesMigration }) };
}
