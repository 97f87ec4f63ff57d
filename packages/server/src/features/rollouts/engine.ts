import { ConflictError, isStewardError } from '@steward/core';
import type { Principal } from '../../lib/context.ts';
import type { RoutingTable } from '@steward/core';
import type { ChannelService } from '../channels/channels.service.ts';
import type { RoutingTable as ChannelTable } from '../channels/channels.types.ts';
import { EMPTY_PROGRESS } from './analysis.ts';
import { finalTable } from './plan.ts';
import type { RolloutPatch, RolloutStore } from './rollouts.store.sql.ts';
import type { Rollout, RolloutState } from './rollouts.types.ts';
import { describeStep, FULL_BPS, instantaneous, tableForStep } from './steps.ts';

export interface EngineDeps {
  rolloutStore: RolloutStore;
  channels: Pick<ChannelService, 'setTable'>;
  now: () => Date;
}

/** Core's typed table as the channel store's open record (same JSON). */
export const asChannelTable = (t: RoutingTable): ChannelTable => t as unknown as ChannelTable;

/** Who the controller's own moves are attributed to in channel history. */
export const CONTROLLER: Principal = { id: 'rollout-controller', name: 'rollout-controller', role: 'admin' };

/** A claim older than this whose channel write never landed (crashed process) is re-applied. */
export const STALE_CLAIM_MS = 30_000;

/**
 * The one way a rollout changes. (1) Compare-and-set the row on its revision with `applied =
 * false`: of two servers racing, exactly one wins and the other gets `rollout_changed`.
 * (2) Write the rollout's table to the channel through `channels.setTable` (kind `rollout`), so
 * channel guards (gates) run and the step is an event in the channel history. (3) Mark it applied.
 * If the channel refuses (a guard throws), the row is put back as it was and the error rethrown:
 * nothing half-done stays behind.
 */
export function createEngine(deps: EngineDeps) {
  const { rolloutStore, channels, now } = deps;
  const at = () => now().toISOString();

  async function commit(r: Rollout, patch: RolloutPatch, reason: string, by: Principal): Promise<Rollout> {
    const claimed = await rolloutStore.update(r.id, r.revision, { ...patch, applied: false }, at());
    if (!claimed) throw new ConflictError(`rollout ${r.id} changed meanwhile (another request or server moved it); look again with steward rollout status`, { id: r.id }, 'rollout_changed');
    try {
      await channels.setTable(r.model, r.channel, asChannelTable(claimed.table), 'rollout', `rollout ${r.id}: ${reason}`, by);
    } catch (err) {
      const back: RolloutPatch = { state: r.state, table: r.table, stepIndex: r.stepIndex, stepStartedAt: r.stepStartedAt, analysis: r.analysis, message: r.message, pausedReason: r.pausedReason, finishedAt: r.finishedAt, applied: true };
      await rolloutStore.update(r.id, claimed.revision, back, at());
      throw err;
    }
    return (await rolloutStore.update(r.id, claimed.revision, { applied: true }, at())) ?? claimed;
  }

  /** A row-only change (analysis progress, flags): no channel event. */
  async function note(r: Rollout, patch: RolloutPatch): Promise<Rollout> {
    const next = await rolloutStore.update(r.id, r.revision, patch, at());
    if (!next) throw new ConflictError(`rollout ${r.id} changed meanwhile; look again with steward rollout status`, { id: r.id }, 'rollout_changed');
    return next;
  }

  async function finish(r: Rollout, state: RolloutState, reason: string, by: Principal): Promise<Rollout> {
    const table = state === 'succeeded' ? finalTable(r.previousTable, r.spec) : r.previousTable;
    return commit(r, { state, table, finishedAt: at(), pausedReason: null, message: reason }, reason, by);
  }

  /** Enter step `i`; steps that only change the table finish at once and the next is entered. */
  async function enterStep(r: Rollout, i: number, by: Principal, why?: string): Promise<Rollout> {
    const steps = r.spec.steps;
    const step = steps[i];
    if (step === undefined) return finish(r, 'succeeded', why ?? 'promoted: all steps done', by);
    if (step.kind === 'weight' && step.weightBps >= FULL_BPS) return finish(r, 'succeeded', `step ${i + 1}/${steps.length}: ${describeStep(step, r.spec)}${why ? ` (${why})` : ''}`, by);
    const table = tableForStep(step, r.previousTable, r.spec, r.id) ?? r.table;
    const waits = step.kind === 'pause' && step.durationMs === undefined;
    const message = `step ${i + 1}/${steps.length}: ${describeStep(step, r.spec)}`;
    const next = await commit(r, { state: waits ? 'paused' : 'running', table, stepIndex: i, stepStartedAt: at(), analysis: EMPTY_PROGRESS, message, pausedReason: waits ? 'waiting for steward rollout resume (or promote / abort)' : null }, why ? `${message} (${why})` : message, by);
    return instantaneous(step) ? enterStep(next, i + 1, by) : next;
  }

  /** Re-writes the table of a claim whose channel write never landed. */
  async function reapply(r: Rollout): Promise<Rollout> {
    const claimed = await rolloutStore.update(r.id, r.revision, {}, at());
    if (!claimed) return r;
    await channels.setTable(r.model, r.channel, asChannelTable(r.table), 'rollout', `rollout ${r.id}: re-applying after an interrupted step (${r.message})`, CONTROLLER);
    return (await rolloutStore.update(r.id, claimed.revision, { applied: true }, at())) ?? claimed;
  }

  /** The controller could not move: keep the last good table and wait for a human. */
  async function pauseOnError(r: Rollout, err: unknown): Promise<Rollout | undefined> {
    if (!isStewardError(err) || err.status >= 500 || err.code === 'rollout_changed') return undefined;
    const fresh = await rolloutStore.get(r.id);
    if (!fresh || fresh.state === 'paused' || !['running', 'scheduled'].includes(fresh.state)) return fresh;
    return rolloutStore.update(fresh.id, fresh.revision, { state: 'paused', pausedReason: `refused: ${err.message}` }, at());
  }

  return { commit, note, finish, enterStep, reapply, pauseOnError };
}

export type Engine = ReturnType<typeof createEngine>;
