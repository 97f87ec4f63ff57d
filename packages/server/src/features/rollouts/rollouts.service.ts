import { ConflictError, InvalidInputError, NotFoundError, parseVersion, validateRoutingTable, type RoutingTable } from '@steward/core';
import type { StartRollout } from '@steward/core/api';
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../lib/context.ts';
import type { ChannelListener, ChannelService } from '../channels/channels.service.ts';
import type { ModelStore } from '../models/models.store.ts';
import { variantsOf } from '../resolve/variants.ts';
import type { VersionStore } from '../versions/versions.store.sql.ts';
import type { AnalysisMetricSource } from './analysis-source.ts';
import { analysisRefs, EMPTY_PROGRESS } from './analysis.ts';
import type { Engine } from './engine.ts';
import type { RolloutStore } from './rollouts.store.sql.ts';
import { ACTIVE_STATES, type Rollout, type RolloutSpec } from './rollouts.types.ts';
import { toSpec } from './spec-input.ts';
import { viewOf, type RolloutView } from './status.ts';
import { tableForStep } from './steps.ts';

export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort';

export interface RolloutServiceDeps {
  modelStore: ModelStore;
  versionStore: VersionStore;
  channels: ChannelService;
  rolloutStore: RolloutStore;
  engine: Engine;
  sources: readonly AnalysisMetricSource[];
  /** The telemetry source: status views show its request, error and latency figures. */
  telemetry: AnalysisMetricSource;
  now: () => Date;
}

/** Short, sortable, unguessable: also the sticky-hash salt of the rollout's candidate. */
const rolloutId = (now: Date) => `ro_${now.getTime().toString(36)}${randomBytes(4).toString('hex')}`;

export function createRolloutService(deps: RolloutServiceDeps) {
  const { modelStore, versionStore, channels, rolloutStore, engine, sources, telemetry, now } = deps;

  async function modelRow(name: string) {
    const m = await modelStore.findRow(name);
    if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
    return m;
  }

  /** Every table the plan will write must pass core validation against the real versions and variants. */
  async function checkTables(m: { id: string; name: string }, spec: RolloutSpec, prev: RoutingTable, id: string): Promise<void> {
    const knownVersions = await versionStore.committedVersionStrings(m.id);
    if (!knownVersions.includes(spec.version)) throw new NotFoundError(`version ${m.name}@${spec.version} not found; push it first`, { version: spec.version }, 'version_not_found');
    const named = new Set<string>([spec.version, prev.stable]);
    const knownVariants: Record<string, string[]> = {};
    for (const v of named) {
      const row = await versionStore.findCommitted(m.id, v);
      if (row) knownVariants[v] = variantsOf((await versionStore.files([row.id])).get(row.id) ?? []);
    }
    const tables = spec.steps.map((s) => tableForStep(s, prev, spec, id)).filter((t): t is RoutingTable => t !== undefined);
    for (const t of tables) validateRoutingTable(t, { knownVersions, knownVariants });
  }

  async function checkMetrics(model: string, spec: RolloutSpec): Promise<void> {
    const analyses = spec.steps.flatMap((s) => (s.kind === 'analysis' ? [s.analysis] : []));
    for (const a of analyses) {
      for (const ref of analysisRefs(a)) {
        let found = false;
        for (const s of sources) if (await s.provides(ref.metric, model)) found = true;
        if (!found) throw new InvalidInputError(`analysis refers to metric "${ref.metric}" that no source reports for ${model} (telemetry reports ${['requests', 'errors', 'errorRate', 'latencyP50', 'latencyP95', 'latencyP99', 'shadowAgreement', 'counter.<name>', 'rate.<name>'].join(', ')})`, { metric: ref.metric }, 'unknown_metric');
      }
    }
  }

  async function byChannel(name: string, channel: string): Promise<Rollout> {
    const m = await modelRow(name);
    const r = (await rolloutStore.active(m.id, channel)) ?? (await rolloutStore.list(m.id, channel, 1))[0];
    if (!r) throw new NotFoundError(`${name}/${channel} has no rollouts; start one with steward rollout start ${name} ${channel} VERSION`, { channel }, 'rollout_not_found');
    return r;
  }

  const view = (r: Rollout): Promise<RolloutView> => viewOf(r, telemetry, now());

  async function act(r: Rollout, action: RolloutAction, reason: string | undefined, by: Principal): Promise<Rollout> {
    if (!ACTIVE_STATES.includes(r.state)) throw new ConflictError(`rollout ${r.id} already ${r.state}; nothing to ${action}`, { id: r.id, state: r.state }, 'rollout_finished');
    const why = reason ? `: ${reason}` : '';
    switch (action) {
      case 'abort':
        return engine.finish(r, 'aborted', `aborted by ${by.name}${why}; restored the previous table`, by);
      case 'promote':
        if (r.state === 'scheduled') return engine.enterStep(r, 0, by, `started early by ${by.name}`).then((x) => (ACTIVE_STATES.includes(x.state) ? engine.finish(x, 'succeeded', `promoted by ${by.name}${why}`, by) : x));
        return engine.finish(r, 'succeeded', `promoted by ${by.name}${why}`, by);
      case 'pause':
        if (r.state === 'scheduled') throw new ConflictError(`rollout ${r.id} is scheduled and not started; abort it instead`, { id: r.id }, 'rollout_scheduled');
        if (r.state === 'paused') return r;
        return engine.commit(r, { state: 'paused', pausedReason: `paused by ${by.name}${why}` }, `paused by ${by.name}${why}`, by);
      case 'resume': {
        if (r.state !== 'paused') throw new ConflictError(`rollout ${r.id} is ${r.state}, not paused`, { id: r.id, state: r.state }, 'rollout_not_paused');
        const s = r.spec.steps[r.stepIndex];
        // A wait-for-resume pause, or an analysis that already took all its measurements
        // (inconclusive): resuming means "a human looked, go on". Otherwise continue the step.
        const done = s === undefined || (s.kind === 'pause' && s.durationMs === undefined) || (s.kind === 'analysis' && r.analysis.measurements.length >= (s.analysis.count ?? 1));
        if (done) return engine.enterStep({ ...r }, r.stepIndex + 1, by, `resumed by ${by.name}${why}`);
        return engine.commit(r, { state: 'running', pausedReason: null }, `resumed by ${by.name}${why}`, by);
      }
    }
  }

  /** A manual set or rollback on a channel with an active rollout ends the rollout (it no longer owns the table). */
  const onChannelChange: ChannelListener = async (c) => {
    if (c.kind !== 'set' && c.kind !== 'rollback') return;
    const m = await modelStore.findRow(c.model);
    const r = m && (await rolloutStore.active(m.id, c.channel));
    if (r) await engine.note(r, { state: 'aborted', finishedAt: now().toISOString(), pausedReason: null, message: `ended: ${c.kind} by ${c.by.name} moved the channel to ${c.to.stable} outside the rollout` });
  };

  return {
    onChannelChange,
    view,

    async start(name: string, channel: string, input: StartRollout, by: Principal): Promise<RolloutView> {
      const m = await modelRow(name);
      const ch = await channels.get(name, channel);
      const spec = toSpec({ ...input, version: parseVersion(input.version).version }, now().getTime());
      const prev = ch.table as unknown as RoutingTable;
      if (spec.version === prev.stable && spec.strategy !== 'ab') throw new ConflictError(`${name}/${channel} already serves ${spec.version}`, { version: spec.version }, 'already_current');
      const existing = await rolloutStore.active(m.id, channel);
      if (existing) throw new ConflictError(`${name}/${channel} already has an active rollout (${existing.id}, ${existing.state}); promote or abort it first`, { id: existing.id }, 'rollout_active');
      const at = now().toISOString();
      const id = rolloutId(now());
      await checkTables(m, spec, prev, id);
      await checkMetrics(name, spec);
      const r: Rollout = {
        id, model: name, channel, state: spec.strategy === 'scheduled' ? 'scheduled' : 'running', strategy: spec.strategy, version: spec.version, spec,
        previousTable: prev, table: prev, stepIndex: -1, stepStartedAt: at, analysis: EMPTY_PROGRESS,
        message: spec.strategy === 'scheduled' ? `scheduled for ${spec.at?.block !== undefined ? `block ${spec.at.block}` : spec.at?.time}` : 'starting',
        pausedReason: null, critical: spec.critical === true, deadline: spec.deadline ?? null, overdue: false, applied: true, revision: 0,
        createdBy: by.name, createdAt: at, updatedAt: at, finishedAt: null,
      };
      await rolloutStore.insert(r, m.id);
      try {
        const started = spec.strategy === 'scheduled' ? r : await engine.enterStep(r, 0, by, spec.reason);
        return view(started);
      } catch (err) {
        // The first step was refused (e.g. a gate): leave no trace of the rollout.
        const cur = await rolloutStore.get(id);
        if (cur && cur.stepIndex < 0) await rolloutStore.remove(id);
        throw err;
      }
    },

    async status(name: string, channel: string): Promise<RolloutView> {
      return view(await byChannel(name, channel));
    },

    async get(id: string): Promise<RolloutView> {
      const r = await rolloutStore.get(id);
      if (!r) throw new NotFoundError(`rollout ${id} not found`, { id }, 'rollout_not_found');
      return view(r);
    },

    async list(name: string, channel: string | undefined, limit = 50): Promise<Rollout[]> {
      return rolloutStore.list((await modelRow(name)).id, channel, Math.min(Math.max(limit, 1), 500));
    },

    /** The active rollout of a channel, if any (resolve reads `critical` and shadow settings from it). */
    async active(name: string, channel: string): Promise<Rollout | undefined> {
      const m = await modelStore.findRow(name);
      return m ? rolloutStore.active(m.id, channel) : undefined;
    },

    /** One query for resolve: the active rollout, else the last promoted one. */
    forResolve: (name: string, channel: string): Promise<Rollout | undefined> => rolloutStore.activeOrLastSucceeded(name, channel),

    async action(name: string, channel: string, action: RolloutAction, reason: string | undefined, by: Principal): Promise<RolloutView> {
      const m = await modelRow(name);
      const r = await rolloutStore.active(m.id, channel);
      if (!r) {
        const last = (await rolloutStore.list(m.id, channel, 1))[0];
        if (last) throw new ConflictError(`${name}/${channel} has no active rollout (the last one, ${last.id}, ${last.state}); nothing to ${action}`, { id: last.id, state: last.state }, 'rollout_finished');
        throw new NotFoundError(`${name}/${channel} has no rollouts`, { channel }, 'rollout_not_found');
      }
      return view(await act(r, action, reason, by));
    },
  };
}

export type RolloutService = ReturnType<typeof createRolloutService>;
