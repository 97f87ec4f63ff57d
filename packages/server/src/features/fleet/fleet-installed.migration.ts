import type { Kysely, Migration } from 'kysely';

/**
 * 0007_fleet_installed: what each node has installed, one row per (node, model, version, digest),
 * so quorum is a COUNT … GROUP BY over an index instead of decoding every node's JSON list; and
 * `nodes.report_key`, a hash of the node's last full report (token, channels, installed, flagged),
 * so a liveness-only write can check in SQL that nothing changed meanwhile on another server.
 * Existing nodes are backfilled from their `installed` JSON.
 */
export const fleetInstalledMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('node_installed')
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('digest', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('node_installed_pk', ['node_id', 'model', 'version', 'digest'])
      .execute();
    // Covers the quorum count: (model, version) range, digest compared, node_id grouped.
    await db.schema.createIndex('node_installed_by_version').on('node_installed').columns(['model', 'version', 'digest', 'node_id']).execute();
    await db.schema.alterTable('nodes').addColumn('report_key', 'text', (c) => c.notNull().defaultTo('')).execute();

    const rows = await db.selectFrom('nodes').select(['id', 'installed']).execute();
    for (const r of rows as { id: string; installed: string }[]) {
      let list: { model?: unknown; version?: unknown; digest?: unknown }[] = [];
      try {
        list = JSON.parse(r.installed) as typeof list;
      } catch {
        list = [];
      }
      const seen = new Set<string>();
      const values = [];
      for (const i of Array.isArray(list) ? list : []) {
        if (typeof i.model !== 'string' || typeof i.version !== 'string' || typeof i.digest !== 'string') continue;
        const k = `${i.model}\u0000${i.version}\u0000${i.digest}`;
        if (seen.has(k)) continue;
        seen.add(k);
        values.push({ node_id: r.id, model: i.model, version: i.version, digest: i.digest });
      }
      if (values.length > 0) await db.insertInto('node_installed').values(values).execute();
    }
  },
};
