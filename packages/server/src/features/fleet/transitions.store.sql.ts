import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromJson, toJson } from '../../lib/json-cols.ts';
import { newId } from '../../lib/ids.ts';
import { type FleetTransitionsTable, chainDb } from '../chain/chain.schema.ts';
import type { RoutingTable } from '../channels/channels.types.ts';
import type { Transition, TransitionState } from './fleet.types.ts';

const toTransition = (r: Selectable<FleetTransitionsTable>): Transition => ({
  id: r.id,
  model: r.model,
  channel: r.channel,
  kind: r.kind,
  table: fromJson(r.table_json, { stable: '' }),
  previousTable: fromJson(r.previous_json, null),
  proposedAtBlock: Number(r.proposed_at_block),
  usableFromBlock: r.usable_from_block === null ? null : Number(r.usable_from_block),
  state: r.state as TransitionState,
  basis: r.basis,
  reason: r.reason,
  author: r.author,
  createdAt: r.created_at,
  decidedAt: r.decided_at,
});

/** Queue order: proposal block, then id (ids are time-prefixed). */
export const queueOrder = (a: Transition, b: Transition) => a.proposedAtBlock - b.proposedAtBlock || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function createTransitionStoreSql(base: Kysely<Database>) {
  const db = chainDb(base);
  return {
    async forChannel(model: string, channel: string, states?: TransitionState[]): Promise<Transition[]> {
      let q = db.selectFrom('fleet_transitions').selectAll().where('model', '=', model).where('channel', '=', channel);
      if (states) q = q.where('state', 'in', states);
      return (await q.execute()).map(toTransition).sort(queueOrder);
    },
    async forModel(model: string, channel?: string): Promise<Transition[]> {
      let q = db.selectFrom('fleet_transitions').selectAll().where('model', '=', model);
      if (channel) q = q.where('channel', '=', channel);
      return (await q.execute()).map(toTransition).sort(queueOrder);
    },
    async insert(t: { model: string; channel: string; kind: string; table: RoutingTable; previousTable: RoutingTable | null; proposedAtBlock: number; usableFromBlock?: number; state: TransitionState; basis?: string; reason: string; author: string; at: string }): Promise<string> {
      const id = newId('ftr');
      await db
        .insertInto('fleet_transitions')
        .values({
          id,
          model: t.model,
          channel: t.channel,
          kind: t.kind,
          table_json: toJson(t.table),
          previous_json: t.previousTable ? toJson(t.previousTable) : null,
          proposed_at_block: t.proposedAtBlock,
          usable_from_block: t.usableFromBlock ?? null,
          state: t.state,
          basis: t.basis ?? null,
          reason: t.reason,
          author: t.author,
          created_at: t.at,
          decided_at: t.state === 'scheduled' ? t.at : null,
        })
        .execute();
      return id;
    },
    /** pending → scheduled. False if another server decided it first. */
    async schedule(id: string, d: { usableFromBlock: number; previousTable: RoutingTable | null; basis: string; at: string }): Promise<boolean> {
      const r = await db
        .updateTable('fleet_transitions')
        .set({ state: 'scheduled', usable_from_block: d.usableFromBlock, previous_json: d.previousTable ? toJson(d.previousTable) : null, basis: d.basis, decided_at: d.at })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async close(id: string, state: 'superseded' | 'refused', basis: string, at: string): Promise<void> {
      await db.updateTable('fleet_transitions').set({ state, basis, decided_at: at }).where('id', '=', id).execute();
    },
    async pendingChannels() {
      return db.selectFrom('fleet_transitions').select(['model', 'channel']).where('state', '=', 'pending').distinct().execute();
    },
  };
}

export type TransitionStore = ReturnType<typeof createTransitionStoreSql>;
