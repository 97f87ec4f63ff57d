import type { Kysely, Selectable } from 'kysely';
import { ConflictError } from '@steward/core';
import type { ChannelEventsTable, ChannelsTable, Database } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/connect.ts';
import { newId } from '../../lib/ids.ts';
import { fromJson } from '../../lib/json-cols.ts';
import { recordAudit, type AuditEntry } from '../audit/audit.ts';
import type { Channel, ChannelEvent, ChannelEventKind, RoutingTable } from './channels.types.ts';

const toChannel = (model: string, r: Selectable<ChannelsTable>): Channel => ({
  model,
  name: r.name,
  table: fromJson(r.table_json, { stable: '' }),
  seq: r.seq,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const toEvent = (model: string, r: Selectable<ChannelEventsTable>): ChannelEvent => ({
  id: r.id,
  seq: r.seq,
  model,
  channel: r.channel,
  kind: r.kind as ChannelEventKind,
  from: fromJson(r.from_json, null),
  to: fromJson(r.to_json, { stable: '' }),
  author: r.author,
  reason: r.reason,
  at: r.at,
});

export function createChannelStoreSql(db: Kysely<Database>) {
  /** The channel's whole history, oldest first (rollback targets replay it). */
  const allEvents = async (model: { id: string; name: string }, name: string): Promise<ChannelEvent[]> =>
    (await db.selectFrom('channel_events').selectAll().where('model_id', '=', model.id).where('channel', '=', name).orderBy('seq', 'asc').execute()).map((r) => toEvent(model.name, r));

  return {
    allEvents,
    async get(model: { id: string; name: string }, name: string): Promise<Channel | undefined> {
      const r = await db.selectFrom('channels').selectAll().where('model_id', '=', model.id).where('name', '=', name).executeTakeFirst();
      return r ? toChannel(model.name, r) : undefined;
    },
    async list(model: { id: string; name: string }): Promise<Channel[]> {
      const rows = await db.selectFrom('channels').selectAll().where('model_id', '=', model.id).orderBy('name').execute();
      return rows.map((r) => toChannel(model.name, r));
    },
    /**
     * Moves the channel to `decide(current)` and appends the event. `decide` runs outside the write
     * transaction (it may read the database or call guards: on SQLite a read inside would wait
     * forever for the one connection the transaction holds); the write then commits only if the
     * channel is still at the sequence number `decide` saw. A racing writer makes the loser
     * re-read and decide again, so every event's `from` is exactly the table it replaced.
     */
    async transition(
      model: { id: string; name: string },
      name: string,
      decide: (current: Channel | undefined, events: () => Promise<ChannelEvent[]>) => Promise<{ to: RoutingTable; kind: ChannelEventKind }>,
      meta: { author: string; reason: string; at: string },
      audit: (from: RoutingTable | null, to: RoutingTable) => AuditEntry,
    ): Promise<{ channel: Channel; event: ChannelEvent }> {
      for (let attempt = 0; ; attempt++) {
        const cur = await db.selectFrom('channels').selectAll().where('model_id', '=', model.id).where('name', '=', name).executeTakeFirst();
        const current = cur ? toChannel(model.name, cur) : undefined;
        const events = () => allEvents(model, name);
        const { to, kind } = await decide(current, events);
        const seq = (current?.seq ?? 0) + 1;
        const tableJson = JSON.stringify(to);
        const ev = {
          id: newId('chev'),
          model_id: model.id,
          channel: name,
          seq,
          kind,
          from_json: current ? JSON.stringify(current.table) : null,
          to_json: tableJson,
          author: meta.author,
          reason: meta.reason,
          at: meta.at,
        };
        try {
          await db.transaction().execute(async (trx) => {
            if (cur) {
              const res = await trx
                .updateTable('channels')
                .set({ table_json: tableJson, seq, updated_at: meta.at, updated_by: meta.author })
                .where('id', '=', cur.id)
                .where('seq', '=', cur.seq)
                .executeTakeFirst();
              if (Number(res.numUpdatedRows) !== 1) throw Object.assign(new Error('channel moved meanwhile'), { code: '23505' });
            } else {
              await trx.insertInto('channels').values({ id: newId('chn'), model_id: model.id, name, table_json: tableJson, seq, updated_at: meta.at, updated_by: meta.author }).execute();
            }
            await trx.insertInto('channel_events').values(ev).execute();
            await recordAudit(trx, meta.at, audit(current?.table ?? null, to));
          });
        } catch (err) {
          if (isUniqueViolation(err) && attempt < 8) continue;
          if (isUniqueViolation(err)) throw new ConflictError(`channel ${name} is being changed concurrently; retry`, { channel: name }, 'channel_busy');
          throw err;
        }
        return {
          channel: { model: model.name, name, table: to, seq, updatedAt: meta.at, updatedBy: meta.author },
          event: toEvent(model.name, ev),
        };
      }
    },
    async history(model: { id: string; name: string }, name: string, limit: number, beforeSeq?: number): Promise<ChannelEvent[]> {
      let q = db.selectFrom('channel_events').selectAll().where('model_id', '=', model.id).where('channel', '=', name);
      if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
      return (await q.orderBy('seq', 'desc').limit(limit).execute()).map((r) => toEvent(model.name, r));
    },
    /** The last event at or before `at`: what was live then. */
    async at(model: { id: string; name: string }, name: string, at: string): Promise<ChannelEvent | undefined> {
      const r = await db
        .selectFrom('channel_events')
        .selectAll()
        .where('model_id', '=', model.id)
        .where('channel', '=', name)
        .where('at', '<=', at)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r ? toEvent(model.name, r) : undefined;
    },
  };
}

export type ChannelStore = ReturnType<typeof createChannelStoreSql>;
