import { assertChannelName, ConflictError, NotFoundError, parseVersion } from '@steward/core';
import { decodeCursor, encodeCursor, type Page } from '../../lib/cursor.ts';
import { iso, type Principal } from '../../lib/context.ts';
import type { ModelStore } from '../models/models.store.ts';
import type { VersionStore } from '../versions/versions.store.sql.ts';
import type { ChannelStore } from './channels.store.sql.ts';
import type { Channel, ChannelEvent, ChannelEventKind, RoutingTable } from './channels.types.ts';
import { previousStable } from './rollback-target.ts';

export interface RollbackResult {
  from: RoutingTable;
  to: RoutingTable;
  applied: boolean;
  event?: ChannelEvent;
}

/**
 * Runs before a channel moves; throws (e.g. GateFailedError) to refuse. The gates feature registers
 * one to enforce protected channels, whatever path the change takes (set, rollback, rollout).
 */
export type ChannelGuard = (change: ChannelChange) => Promise<void>;
/** Runs after a committed change (rollouts, fleet transitions and notifications listen here). */
export type ChannelListener = (change: ChannelChange & { event: ChannelEvent }) => Promise<void> | void;

export interface ChannelChange {
  model: string;
  channel: string;
  from: RoutingTable | null;
  to: RoutingTable;
  kind: ChannelEventKind;
  by: Principal;
  reason: string;
  /** Set by an admin override (`--force`); guards decide whether to honour it and must record it. */
  force?: boolean;
}

export function createChannelService(deps: { modelStore: ModelStore; versionStore: VersionStore; channelStore: ChannelStore; now: () => Date }) {
  const { modelStore, versionStore, channelStore, now } = deps;
  const guards: ChannelGuard[] = [];
  const listeners: ChannelListener[] = [];
  const runGuards = async (c: ChannelChange) => {
    for (const g of guards) await g(c);
  };
  const notify = async (c: ChannelChange & { event: ChannelEvent }) => {
    for (const l of listeners) {
      try {
        await l(c);
      } catch (err) {
        console.error('channel listener failed', err);
      }
    }
  };

  /** The one write path: guards run inside the transaction's decision, listeners after commit. */
  async function move(
    m: { id: string; name: string },
    channel: string,
    decide: (cur: Channel | undefined, events: () => Promise<ChannelEvent[]>) => Promise<RoutingTable>,
    kind: ChannelEventKind,
    reason: string,
    by: Principal,
    force?: boolean,
  ) {
    const res = await channelStore.transition(
      m,
      channel,
      async (cur, events) => {
        const to = await decide(cur, events);
        await runGuards({ model: m.name, channel, from: cur?.table ?? null, to, kind, by, reason, ...(force ? { force } : {}) });
        return { to, kind };
      },
      { author: by.name, reason, at: iso(now()) },
      (from, to) => ({ actor: by.name, action: `channel.${kind}`, target: `${m.name}/${channel}`, details: { from: from?.stable ?? null, to: to.stable, reason, ...(force ? { force: true } : {}) } }),
    );
    await notify({ model: m.name, channel, from: res.event.from, to: res.event.to, kind, by, reason, event: res.event, ...(force ? { force } : {}) });
    return res;
  }

  async function model(name: string) {
    const m = await modelStore.findRow(name);
    if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
    return m;
  }
  async function existing(name: string, channel: string): Promise<{ m: { id: string; name: string }; ch: Channel }> {
    assertChannelName(channel);
    const m = await model(name);
    const ch = await channelStore.get(m, channel);
    if (!ch) throw new NotFoundError(`channel ${channel} of ${name} is not set yet; set it with: steward channel set ${name} ${channel} VERSION`, { channel }, 'channel_not_found');
    return { m, ch };
  }
  async function committedVersion(m: { id: string; name: string }, version: string): Promise<string> {
    const v = parseVersion(version).version;
    if (!(await versionStore.findCommitted(m.id, v))) throw new NotFoundError(`version ${m.name}@${v} not found`, { version: v }, 'version_not_found');
    return v;
  }

  return {
    get: async (name: string, channel: string) => (await existing(name, channel)).ch,
    list: async (name: string) => ({ items: await channelStore.list(await model(name)) }),
    async stableOf(name: string, channel: string): Promise<string | undefined> {
      const m = await modelStore.findRow(name);
      return m ? (await channelStore.get(m, channel))?.table.stable : undefined;
    },

    addGuard: (g: ChannelGuard) => void guards.push(g),
    onChange: (l: ChannelListener) => void listeners.push(l),

    async set(name: string, channel: string, version: string, reason: string, by: Principal, opts: { force?: boolean } = {}) {
      assertChannelName(channel);
      const m = await model(name);
      const v = await committedVersion(m, version);
      return move(m, channel, async (cur) => ({ ...(cur?.table ?? {}), stable: v }), 'set', reason, by, opts.force);
    },

    /** Replace the whole routing table (rollouts); every version it names must be committed. */
    async setTable(name: string, channel: string, table: RoutingTable, kind: ChannelEventKind, reason: string, by: Principal, opts: { force?: boolean } = {}) {
      assertChannelName(channel);
      const m = await model(name);
      await committedVersion(m, table.stable);
      return move(m, channel, async () => table, kind, reason, by, opts.force);
    },

    /** Without `to`: back to the stable before the current one. `dryRun` shows the change without making it. */
    async rollback(name: string, channel: string, opts: { to?: string; reason?: string; dryRun?: boolean; force?: boolean }, by: Principal): Promise<RollbackResult> {
      const { m, ch } = await existing(name, channel);
      const target = async (events: ChannelEvent[]) => {
        const to = opts.to ? await committedVersion(m, opts.to) : previousStable(events);
        if (!to) throw new ConflictError(`${name}/${channel} has no earlier stable version to roll back to; pass --to VERSION`, { channel }, 'nothing_to_roll_back');
        if (to === ch.table.stable && !opts.dryRun) throw new ConflictError(`${name}/${channel} already serves ${to}`, { channel, version: to }, 'already_current');
        return to;
      };
      if (opts.dryRun) {
        const events = await channelStore.allEvents(m, channel);
        const to = await target(events);
        return { from: ch.table, to: { ...ch.table, stable: to }, applied: false };
      }
      const reason = opts.reason ?? `rollback from ${ch.table.stable}`;
      const res = await move(m, channel, async (cur, events) => ({ ...(cur?.table ?? {}), stable: await target(await events()) }), 'rollback', reason, by, opts.force);
      return { from: res.event.from ?? ch.table, to: res.event.to, applied: true, event: res.event };
    },

    async history(name: string, channel: string, limit = 50, cursor?: string): Promise<Page<ChannelEvent>> {
      assertChannelName(channel);
      const m = await model(name);
      const before = decodeCursor(cursor, (v): v is number => Number.isInteger(v));
      const n = Math.min(Math.max(limit, 1), 500);
      const rows = await channelStore.history(m, channel, n + 1, before);
      const items = rows.slice(0, n);
      return { items, nextCursor: rows.length > n ? encodeCursor(items[items.length - 1]!.seq) : null };
    },

    async at(name: string, channel: string, time: Date) {
      assertChannelName(channel);
      const m = await model(name);
      const ev = await channelStore.at(m, channel, iso(time));
      if (!ev) throw new NotFoundError(`${name}/${channel} was not set at ${iso(time)}`, { channel, time: iso(time) }, 'channel_not_set_then');
      return { table: ev.to, event: ev };
    },
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;
