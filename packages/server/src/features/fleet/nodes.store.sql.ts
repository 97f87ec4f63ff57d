import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromJson } from '../../lib/json-cols.ts';
import { type NodesTable, chainDb } from '../chain/chain.schema.ts';
import type { InstalledVersion, NodeProfile, VersionTelemetry } from './fleet.types.ts';
import { type NodeWrite, nodeBatchSql } from './node-batch.sql.ts';

export type { NodeWrite } from './node-batch.sql.ts';

/** Versions a quorum needs → the digests accepted for each. */
export type AcceptedDigests = Readonly<Record<string, readonly string[]>>;

export interface NodeRow {
  id: string;
  tokenId: string;
  tokenName: string;
  profile: NodeProfile;
  appVersion: string;
  health: string;
  installed: InstalledVersion[];
  telemetry: VersionTelemetry[];
  flagged: InstalledVersion[];
  firstSeenAt: string;
  lastSeenAt: string;
  lastBlock: number;
  /** Hash of the last full report (see fleet.service.ts reportKeyOf). */
  reportKey: string;
}

const toNode = (r: Selectable<NodesTable>): NodeRow => ({
  id: r.id,
  tokenId: r.token_id,
  tokenName: r.token_name,
  profile: fromJson(r.profile, {}),
  appVersion: r.app_version,
  health: r.health,
  installed: fromJson(r.installed, []),
  telemetry: fromJson(r.telemetry, []),
  flagged: fromJson(r.flagged, []),
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  lastBlock: Number(r.last_block),
  reportKey: r.report_key,
});

/** Records since the last ANALYZE that make PostgreSQL's fleet statistics stale: 20 % of the nodes, at least this many. */
const ANALYZE_AFTER_RECORDS = 1000;

/**
 * PostgreSQL plans the quorum counts from table statistics, which autovacuum refreshes only after
 * its next nap (a minute by default) once 10 % of a table changed. A fleet registering thousands
 * of nodes, or a rollout moving them all to a new version, meanwhile gets plans made for the old
 * tables: on a fresh database with 10k nodes the quorum counts took 49.5 ms (median of 20) before
 * ANALYZE and 23.3 ms after, evaluated up to several times a second while a transition waits for
 * quorum. So once recorded reports add up to 20 % of the nodes (at least 1,000), the fleet tables
 * are analyzed in the background, one run at a time; a failure is only logged.
 */
function analyzeAfterRecords(db: Kysely<Database>, log: (msg: string, err?: unknown) => void) {
  let since = 0;
  let nodes = 0;
  let running = false;
  return (records: number): void => {
    since += records;
    if (running || since < Math.max(ANALYZE_AFTER_RECORDS, nodes * 0.2)) return;
    running = true;
    since = 0;
    (async () => {
      await sql`analyze nodes, node_channels, node_installed`.execute(db);
      const r = await sql<{ n: string | number }>`select reltuples::bigint as n from pg_class where oid = 'nodes'::regclass`.execute(db);
      nodes = Math.max(0, Number(r.rows[0]?.n ?? 0));
    })()
      .catch((err: unknown) => log('fleet: ANALYZE of the node tables failed', err))
      .finally(() => (running = false));
  };
}

export function createNodeStoreSql(base: Kysely<Database>, opts: { log?: (msg: string, err?: unknown) => void } = {}) {
  const db = chainDb(base);
  const postgres = base.getExecutor().adapter instanceof PostgresAdapter;
  const batch = nodeBatchSql(postgres);
  const recorded = postgres ? analyzeAfterRecords(base, opts.log ?? ((msg, err) => console.error(msg, err))) : () => undefined;
  return {
    async get(id: string): Promise<NodeRow | undefined> {
      const r = await db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toNode(r) : undefined;
    },
    async channelsOf(id: string) {
      return db.selectFrom('node_channels').select(['model', 'channel']).where('node_id', '=', id).execute();
    },
    /**
     * Writes many heartbeats in one transaction (group commit; on PostgreSQL one statement, see
     * node-batch.sql.ts): on SQLite with synchronous=FULL
     * every commit is an fsync, so one transaction per heartbeat would cap a server at the disk's
     * fsync rate. A record rewrites the row, its installed versions (node_installed) and, when they
     * changed, its subscriptions; a touch updates only liveness, profile, health and telemetry, and
     * only if the row still holds the report the caller last saw. Returns the touches that did not
     * apply (row changed by another server, or pruned): the caller must re-read those nodes.
     */
    async writeBatch(ops: NodeWrite[]): Promise<{ missed: string[] }> {
      const missed: string[] = [];
      if (ops.length === 0) return { missed };
      const touches = ops.filter((op): op is Extract<NodeWrite, { kind: 'touch' }> => op.kind === 'touch');
      const records = ops.filter((op): op is Extract<NodeWrite, { kind: 'record' }> => op.kind === 'record');
      let hit: Set<string>;
      if (postgres) hit = new Set(await batch.writePg(db, touches, records));
      else {
        hit = await db.transaction().execute(async (trx) => {
          const ids = touches.length > 0 ? await batch.touch(trx, touches) : [];
          if (records.length > 0) await batch.record(trx, records);
          return new Set(ids);
        });
      }
      for (const op of touches) if (!hit.has(op.id)) missed.push(op.id);
      if (records.length > 0) recorded(records.length);
      return { missed };
    },
    /**
     * Quorum as two counts over indexes, without listing the fleet: live nodes of the channel
     * (last heartbeat at or after `liveFrom`), and those of them with every accepted version
     * installed under an accepted digest and no required version under another digest (a node
     * reporting wrong bytes never counts; core's assessFleet applies the same rule to lists).
     */
    async quorumCounts(model: string, channel: string, liveFrom: number, accepted: AcceptedDigests): Promise<{ live: number; ready: number }> {
      const liveRow = await db
        .selectFrom('node_channels')
        .innerJoin('nodes', 'nodes.id', 'node_channels.node_id')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('node_channels.model', '=', model)
        .where('node_channels.channel', '=', channel)
        .where('nodes.last_block', '>=', liveFrom)
        .executeTakeFirst();
      const live = Number(liveRow?.n ?? 0);
      const versions = Object.keys(accepted);
      if (live === 0 || versions.length === 0) return { live, ready: versions.length === 0 ? live : 0 };
      const ok = sql.join(
        versions.map((v) => {
          const ds = accepted[v] ?? [];
          return ds.length === 0 ? sql`false` : sql`(ni.version = ${v} and ni.digest in (${sql.join(ds.map((d) => sql`${d}`))}))`;
        }),
        sql` or `,
      );
      const r = await sql<{ n: number | string | bigint }>`
        select count(*) as n from (
          select ni.node_id
          from node_installed ni
          join node_channels nc on nc.node_id = ni.node_id and nc.model = ni.model and nc.channel = ${channel}
          join nodes n on n.id = ni.node_id
          where ni.model = ${model} and ni.version in (${sql.join(versions.map((v) => sql`${v}`))}) and n.last_block >= ${liveFrom}
          group by ni.node_id
          having count(distinct case when ${ok} then ni.version end) = ${versions.length}
             and sum(case when ${ok} then 0 else 1 end) = 0
        ) ready`.execute(db);
      return { live, ready: Number(r.rows[0]?.n ?? 0) };
    },
    async list(opts: { model?: string; limit: number }): Promise<(NodeRow & { channels: { model: string; channel: string }[] })[]> {
      let q = db.selectFrom('nodes').selectAll('nodes');
      if (opts.model) {
        const model = opts.model;
        q = q.where('nodes.id', 'in', db.selectFrom('node_channels').select('node_id').where('model', '=', model));
      }
      const rows = (await q.orderBy('nodes.id').limit(opts.limit).execute()).map(toNode);
      if (rows.length === 0) return [];
      const subs = await db.selectFrom('node_channels').selectAll().where('node_id', 'in', rows.map((r) => r.id)).execute();
      return rows.map((r) => ({ ...r, channels: subs.filter((s) => s.node_id === r.id).map((s) => ({ model: s.model, channel: s.channel })) }));
    },
    /** Channels that have at least one registered node (for the downgrade guard's cache). */
    async subscribedChannels() {
      return db.selectFrom('node_channels').select(['model', 'channel']).distinct().execute();
    },
    /** Removes nodes silent since before `block` (departed). Returns how many. */
    async pruneBefore(block: number): Promise<number> {
      const gone = await db.selectFrom('nodes').select('id').where('last_block', '<', block).execute();
      if (gone.length === 0) return 0;
      const ids = gone.map((g) => g.id);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('node_channels').where('node_id', 'in', ids).execute();
        await trx.deleteFrom('node_installed').where('node_id', 'in', ids).execute();
        await trx.deleteFrom('nodes').where('id', 'in', ids).execute();
      });
      return ids.length;
    },
  };
}

export type NodeStore = ReturnType<typeof createNodeStoreSql>;
