import { ConflictError, InvalidInputError, type RequiredDigests, compareStable, decideTransitionCounted, isStewardError, mustWait } from '@steward/core';
import type { ChannelChange } from '../channels/channels.service.ts';
import type { RoutingTable } from '../channels/channels.types.ts';
import type { Transition } from './fleet.types.ts';
import type { DigestLookup } from './manifest-digest.ts';
import type { NodeStore } from './nodes.store.sql.ts';
import { type FleetOptions, toBlocks } from './fleet.options.ts';
import type { TransitionStore } from './transitions.store.sql.ts';
import { versionsOf } from './table-versions.ts';

export interface ControllerDeps {
  transitions: TransitionStore;
  nodes: NodeStore;
  digestOf: DigestLookup;
  currentBlock: () => Promise<number>;
  intervalMs: () => Promise<number>;
  now: () => Date;
  options: FleetOptions;
  /** Called whenever a channel's transitions change (cache invalidation). */
  changed: (model: string, channel: string) => void;
}

/**
 * Turns channel changes into fleet transitions (DESIGN, Fleet transitions). Each change becomes
 * a `pending` row; `evaluate` walks a channel's queue in order and schedules the head when
 * core's decideTransition says so. Scheduling is a conditional update (`state = 'pending'`), so
 * two servers evaluating at once schedule a transition once.
 */
export function createFleetController(deps: ControllerDeps) {
  const { transitions, options } = deps;

  async function onChange(c: ChannelChange): Promise<void> {
    const block = await deps.currentBlock();
    const at = deps.now().toISOString();
    const rows = await transitions.forChannel(c.model, c.channel);
    if (rows.length === 0 && c.from) {
      // The channel predates the fleet: its old table has been in force all along.
      await transitions.insert({ model: c.model, channel: c.channel, kind: 'baseline', table: c.from, previousTable: null, proposedAtBlock: 0, usableFromBlock: 0, state: 'scheduled', basis: 'baseline', reason: 'table before the first fleet transition', author: 'system', at });
    }
    if (c.kind === 'rollback') {
      // A rollback answers a live problem: it replaces whatever was still on its way.
      for (const r of rows) {
        const future = r.state === 'pending' || (r.state === 'scheduled' && (r.usableFromBlock ?? 0) > block);
        if (future) await transitions.close(r.id, 'superseded', 'rollback', at);
      }
    }
    await transitions.insert({ model: c.model, channel: c.channel, kind: c.kind, table: c.to, previousTable: c.from, proposedAtBlock: block, state: 'pending', reason: c.reason, author: c.by.name, at });
    deps.changed(c.model, c.channel);
    await evaluate(c.model, c.channel);
  }

  async function requiredDigests(model: string, table: RoutingTable): Promise<RequiredDigests | string> {
    const out: Record<string, string> = {};
    for (const v of versionsOf(table)) {
      const d = await deps.digestOf(model, v);
      if (!d) return v;
      out[v] = d;
    }
    return out;
  }

  /**
   * The channel's fleet as counts, aggregated in SQL over node_installed (no listing of the nodes,
   * no JSON decoding): the database is the one truth, so two servers count the same fleet.
   */
  const counts = (model: string, channel: string, required: RequiredDigests, block: number, ttl: number) => () =>
    deps.nodes.quorumCounts(
      model,
      channel,
      block - ttl,
      Object.fromEntries(Object.entries(required).map(([v, d]) => [v, typeof d === 'string' ? [d] : [...d]])),
    );

  /** Schedules what may be scheduled now. Returns the channel's rows after the pass. */
  async function evaluate(model: string, channel: string): Promise<void> {
    const block = await deps.currentBlock();
    const at = deps.now().toISOString();
    const ttl = toBlocks(options.livenessTtlMs, await deps.intervalMs());
    const rows = await transitions.forChannel(model, channel, ['pending', 'scheduled']);
    const scheduled = rows.filter((r) => r.state === 'scheduled').sort((a, b) => (a.usableFromBlock ?? 0) - (b.usableFromBlock ?? 0));
    const refs = rows.map(ref);
    let touched = false;
    const close = async (id: string, state: 'refused' | 'superseded', why: string) => {
      await transitions.close(id, state, why, at);
      refs.splice(refs.findIndex((r) => r.id === id), 1);
      touched = true;
    };
    for (const p of rows.filter((r) => r.state === 'pending')) {
      if (mustWait(ref(p), refs, block).wait) break;
      const current = scheduled[scheduled.length - 1]?.table;
      const required = await requiredDigests(model, p.table);
      if (typeof required === 'string') {
        await close(p.id, 'refused', `version ${required} has no committed manifest`);
        continue;
      }
      let rollback = false;
      if (p.kind === 'rollback' && current) {
        try {
          rollback = compareStable(current, p.table) === 'down';
        } catch {
          rollback = false;
        }
      }
      let decision;
      try {
        // core schedules a rollback at currentBlock + 1; shifting its "now" gives rollbackDelay.
        const at = rollback ? block + Math.max(1, options.rollbackDelay) - 1 : block;
        decision = await decideTransitionCounted(
          { currentTable: current, proposedTable: p.table, requiredDigests: required, currentBlock: at, livenessTtlBlocks: ttl, quorum: options.quorum, activationDelay: options.activationDelay, rollback },
          counts(model, channel, required, block, ttl),
        );
      } catch (err) {
        if (!(err instanceof ConflictError || err instanceof InvalidInputError) && !isStewardError(err)) throw err;
        await close(p.id, 'refused', (err as Error).message);
        continue;
      }
      if (decision.state === 'unchanged') {
        await close(p.id, 'superseded', 'unchanged: the fleet already has this table');
        continue;
      }
      if (decision.state === 'waiting') break;
      if (await transitions.schedule(p.id, { usableFromBlock: decision.usableFromBlock, previousTable: current ?? null, basis: decision.basis, at })) {
        const done: Transition = { ...p, state: 'scheduled', usableFromBlock: decision.usableFromBlock };
        scheduled.push(done);
        refs.splice(refs.findIndex((r) => r.id === p.id), 1, ref(done));
        touched = true;
      } else break; // another server got there first; its view wins
    }
    if (touched) deps.changed(model, channel);
  }

  return {
    onChange,
    evaluate,
    /** Evaluates every channel with a transition waiting for quorum. */
    async evaluateAll(): Promise<void> {
      for (const c of await transitions.pendingChannels()) await evaluate(c.model, c.channel);
    },
  };
}

const ref = (t: Transition) => ({ id: t.id, model: t.model, channel: t.channel, proposedAtBlock: t.proposedAtBlock, usableFromBlock: t.usableFromBlock ?? undefined });

export type FleetController = ReturnType<typeof createFleetController>;
