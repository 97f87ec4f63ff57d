import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromJson, toJson } from '../../lib/json-cols.ts';
import { type NodesTable, chainDb } from '../chain/chain.schema.ts';
import type { HeartbeatInput, InstalledVersion, NodeProfile, VersionTelemetry } from './fleet.types.ts';

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
});

const key = (c: { model: string; channel: string }) => `${c.model}\u0000${c.channel}`;

export function createNodeStoreSql(base: Kysely<Database>) {
  const db = chainDb(base);
  return {
    async get(id: string): Promise<NodeRow | undefined> {
      const r = await db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toNode(r) : undefined;
    },
    async channelsOf(id: string) {
      return db.selectFrom('node_channels').select(['model', 'channel']).where('node_id', '=', id).execute();
    },
    /** Writes the heartbeat; the subscription rows are rewritten only when they changed. */
    async record(
      node: { id: string; tokenId: string; tokenName: string; at: string; block: number; flagged: InstalledVersion[] },
      hb: HeartbeatInput,
      prev: { exists: boolean; channels: { model: string; channel: string }[] },
    ): Promise<void> {
      const values = {
        token_id: node.tokenId,
        token_name: node.tokenName,
        profile: toJson(hb.profile),
        app_version: hb.appVersion,
        health: hb.health,
        installed: toJson(hb.installed),
        telemetry: toJson(hb.telemetry ?? []),
        flagged: toJson(node.flagged),
        last_seen_at: node.at,
        last_block: node.block,
      };
      const same = prev.channels.length === hb.channels.length && new Set([...prev.channels, ...hb.channels].map(key)).size === hb.channels.length;
      const write = async (trx: typeof db) => {
        if (prev.exists) await trx.updateTable('nodes').set(values).where('id', '=', node.id).execute();
        else await trx.insertInto('nodes').values({ id: node.id, first_seen_at: node.at, ...values }).onConflict((oc) => oc.column('id').doUpdateSet(values)).execute();
        if (!same) {
          await trx.deleteFrom('node_channels').where('node_id', '=', node.id).execute();
          if (hb.channels.length > 0) await trx.insertInto('node_channels').values(hb.channels.map((c) => ({ node_id: node.id, model: c.model, channel: c.channel }))).execute();
        }
      };
      if (same) await write(db);
      else await db.transaction().execute(async (trx) => write(trx));
    },
    /** Nodes subscribed to a channel. */
    async forChannel(model: string, channel: string): Promise<NodeRow[]> {
      const rows = await db
        .selectFrom('nodes')
        .innerJoin('node_channels', 'node_channels.node_id', 'nodes.id')
        .selectAll('nodes')
        .where('node_channels.model', '=', model)
        .where('node_channels.channel', '=', channel)
        .execute();
      return rows.map(toNode);
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
        await trx.deleteFrom('nodes').where('id', 'in', ids).execute();
      });
      return ids.length;
    },
  };
}

export type NodeStore = ReturnType<typeof createNodeStoreSql>;
