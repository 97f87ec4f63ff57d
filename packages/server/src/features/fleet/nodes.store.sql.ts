import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromJson, toJson } from '../../lib/json-cols.ts';
import { type NodesTable, chainDb } from '../chain/chain.schema.ts';
import type { HeartbeatInput, InstalledVersion, NodeProfile, VersionTelemetry } from './fleet.types.ts';

export type NodeWrite =
  | { kind: 'touch'; id: string; at: string; block: number; hb: HeartbeatInput; flagged: InstalledVersion[] }
  | { kind: 'record'; id: string; tokenId: string; tokenName: string; at: string; block: number; flagged: InstalledVersion[]; hb: HeartbeatInput; prevChannels: { model: string; channel: string }[] };

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
    /**
     * Writes many heartbeats in one transaction (group commit): on SQLite with synchronous=FULL
     * every commit is an fsync, so one transaction per heartbeat would cap a server at the disk's
     * fsync rate. A full record rewrites the row (and the subscriptions when they changed); a
     * touch updates only liveness, profile, health and telemetry.
     */
    async writeBatch(ops: NodeWrite[]): Promise<void> {
      if (ops.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const op of ops) {
          const { hb } = op;
          if (op.kind === 'touch') {
            await trx
              .updateTable('nodes')
              .set({ last_seen_at: op.at, last_block: op.block, health: hb.health, app_version: hb.appVersion, profile: toJson(hb.profile), telemetry: toJson(hb.telemetry ?? []), installed: toJson(hb.installed), flagged: toJson(op.flagged) })
              .where('id', '=', op.id)
              .execute();
            continue;
          }
          const values = {
            token_id: op.tokenId,
            token_name: op.tokenName,
            profile: toJson(hb.profile),
            app_version: hb.appVersion,
            health: hb.health,
            installed: toJson(hb.installed),
            telemetry: toJson(hb.telemetry ?? []),
            flagged: toJson(op.flagged),
            last_seen_at: op.at,
            last_block: op.block,
          };
          const same = op.prevChannels.length === hb.channels.length && new Set([...op.prevChannels, ...hb.channels].map(key)).size === hb.channels.length;
          await trx.insertInto('nodes').values({ id: op.id, first_seen_at: op.at, ...values }).onConflict((oc) => oc.column('id').doUpdateSet(values)).execute();
          if (!same) {
            await trx.deleteFrom('node_channels').where('node_id', '=', op.id).execute();
            if (hb.channels.length > 0) await trx.insertInto('node_channels').values(hb.channels.map((c) => ({ node_id: op.id, model: c.model, channel: c.channel }))).execute();
          }
        }
      });
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
