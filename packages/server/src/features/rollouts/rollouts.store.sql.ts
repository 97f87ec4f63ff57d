import { sql, type Kysely } from 'kysely';
import type { RoutingTable } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/connect.ts';
import { fromJson, toJson } from '../../lib/json-cols.ts';
import { ConflictError } from '@steward/core';
import { ACTIVE_STATES, type AnalysisProgress, type Rollout, type RolloutSpec, type RolloutState, type Strategy } from './rollouts.types.ts';

/** Row shape of `rollouts` (migration 0003_rollouts). */
export interface RolloutsTable {
  id: string;
  model_id: string;
  model: string;
  channel: string;
  active_key: string | null;
  state: string;
  strategy: string;
  target_version: string;
  spec_json: string;
  previous_table_json: string;
  table_json: string;
  analysis_json: string;
  message: string;
  paused_reason: string | null;
  step_index: number;
  step_started_at: string;
  critical: number;
  deadline_at: string | null;
  overdue: number;
  applied: number;
  revision: number;
  created_by: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

type Row = RolloutsTable;

const toRollout = (r: Row): Rollout => ({
  id: r.id,
  model: r.model,
  channel: r.channel,
  state: r.state as RolloutState,
  strategy: r.strategy as Strategy,
  version: r.target_version,
  spec: fromJson<RolloutSpec>(r.spec_json, {} as RolloutSpec),
  previousTable: fromJson<RoutingTable>(r.previous_table_json, { stable: '' }),
  table: fromJson<RoutingTable>(r.table_json, { stable: '' }),
  stepIndex: Number(r.step_index),
  stepStartedAt: r.step_started_at,
  analysis: fromJson<AnalysisProgress>(r.analysis_json, { measurements: [], failures: 0, inconclusive: 0 }),
  message: r.message,
  pausedReason: r.paused_reason,
  critical: Number(r.critical) === 1,
  deadline: r.deadline_at,
  overdue: Number(r.overdue) === 1,
  applied: Number(r.applied) === 1,
  revision: Number(r.revision),
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/** The mutable part of a rollout; `update` writes it iff the stored revision is still `expected`. */
export type RolloutPatch = Partial<Pick<Rollout, 'state' | 'table' | 'stepIndex' | 'stepStartedAt' | 'analysis' | 'message' | 'pausedReason' | 'overdue' | 'applied' | 'finishedAt'>>;

export function createRolloutStoreSql(kysely: Kysely<Database>) {
  const db = kysely as unknown as Kysely<{ rollouts: RolloutsTable }>;
  return {
    /** Inserts a new active rollout; 409 `rollout_active` if the channel already has one. */
    async insert(r: Rollout, modelId: string): Promise<void> {
      try {
        await db
          .insertInto('rollouts')
          .values({
            id: r.id,
            model_id: modelId,
            model: r.model,
            channel: r.channel,
            active_key: `${modelId}/${r.channel}`,
            state: r.state,
            strategy: r.strategy,
            target_version: r.version,
            spec_json: toJson(r.spec),
            previous_table_json: toJson(r.previousTable),
            table_json: toJson(r.table),
            analysis_json: toJson(r.analysis),
            message: r.message,
            paused_reason: r.pausedReason,
            step_index: r.stepIndex,
            step_started_at: r.stepStartedAt,
            critical: r.critical ? 1 : 0,
            deadline_at: r.deadline,
            overdue: 0,
            applied: r.applied ? 1 : 0,
            revision: r.revision,
            created_by: r.createdBy,
            created_at: r.createdAt,
            updated_at: r.updatedAt,
            finished_at: null,
          })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`${r.model}/${r.channel} already has an active rollout; pause, promote or abort it first (steward rollout status ${r.model} ${r.channel})`, { model: r.model, channel: r.channel }, 'rollout_active');
        throw err;
      }
    },

    /** Deletes a rollout that never took effect (its first step was refused). */
    async remove(id: string): Promise<void> {
      await db.deleteFrom('rollouts').where('id', '=', id).execute();
    },

    /**
     * Compare-and-set: applies `patch` and bumps the revision only if nobody else changed the row
     * since `expected` was read. Returns the new rollout, or undefined if another writer won.
     */
    async update(id: string, expected: number, patch: RolloutPatch, at: string): Promise<Rollout | undefined> {
      const set: Partial<Row> = { revision: expected + 1, updated_at: at };
      if (patch.state !== undefined) {
        set.state = patch.state;
      }
      if (patch.table !== undefined) set.table_json = toJson(patch.table);
      if (patch.stepIndex !== undefined) set.step_index = patch.stepIndex;
      if (patch.stepStartedAt !== undefined) set.step_started_at = patch.stepStartedAt;
      if (patch.analysis !== undefined) set.analysis_json = toJson(patch.analysis);
      if (patch.message !== undefined) set.message = patch.message;
      if (patch.pausedReason !== undefined) set.paused_reason = patch.pausedReason;
      if (patch.overdue !== undefined) set.overdue = patch.overdue ? 1 : 0;
      if (patch.applied !== undefined) set.applied = patch.applied ? 1 : 0;
      if (patch.finishedAt !== undefined) set.finished_at = patch.finishedAt;
      // Leaving the active states frees the channel for the next rollout; a revert re-takes it.
      const activeKey = patch.state === undefined ? {} : { active_key: ACTIVE_STATES.includes(patch.state) ? sql<string>`model_id || '/' || channel` : null };
      // The row as this statement wrote it: a read after it could already see another server's
      // next claim, and a controller chaining steps from that would claim the same step twice.
      const row = await db.updateTable('rollouts').set({ ...set, ...activeKey }).where('id', '=', id).where('revision', '=', expected).returningAll().executeTakeFirst();
      return row ? toRollout(row) : undefined;
    },

    async get(id: string): Promise<Rollout | undefined> {
      const r = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toRollout(r) : undefined;
    },

    async active(modelId: string, channel: string): Promise<Rollout | undefined> {
      const r = await db.selectFrom('rollouts').selectAll().where('active_key', '=', `${modelId}/${channel}`).executeTakeFirst();
      return r ? toRollout(r) : undefined;
    },

    /** Newest first. */
    async list(modelId: string, channel: string | undefined, limit: number): Promise<Rollout[]> {
      let q = db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId);
      if (channel !== undefined) q = q.where('channel', '=', channel);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRollout);
    },

    /** Every scheduled, running or paused rollout (the controller's work list). */
    async allActive(): Promise<Rollout[]> {
      // Also finished rollouts whose last channel write never landed (applied = 0): the controller re-applies them.
      const rows = await db.selectFrom('rollouts').selectAll().where((eb) => eb.or([eb('active_key', 'is not', null), eb('applied', '=', 0)])).orderBy('created_at').execute();
      return rows.map(toRollout);
    },

    /**
     * For resolve, in one indexed-by-nothing-but-small query: the channel's active rollout if it
     * has one, else its latest promoted one (whose `critical` still applies while its version is
     * stable). Keyed by model name so resolve needs no model lookup.
     */
    async activeOrLastSucceeded(model: string, channel: string): Promise<Rollout | undefined> {
      const r = await db
        .selectFrom('rollouts')
        .selectAll()
        .where('model', '=', model)
        .where('channel', '=', channel)
        .where((eb) => eb.or([eb('active_key', 'is not', null), eb('state', '=', 'succeeded')]))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r ? toRollout(r) : undefined;
    },

    /** The most recent rollout that ended by promotion on this channel (for `critical` after it finished). */
    async lastSucceeded(modelId: string, channel: string): Promise<Rollout | undefined> {
      const r = await db.selectFrom('rollouts').selectAll().where('model_id', '=', modelId).where('channel', '=', channel).where('state', '=', 'succeeded').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
      return r ? toRollout(r) : undefined;
    },
  };
}

export type RolloutStore = ReturnType<typeof createRolloutStoreSql>;
