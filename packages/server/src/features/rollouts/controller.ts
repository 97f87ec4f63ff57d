import { blockAt, type BlockClockConfig } from '@steward/core';
import { querySources, type AnalysisMetricSource } from './analysis-source.ts';
import { analysisRefs, measure, measurementsDue, record, verdict } from './analysis.ts';
import { refKey } from './conditions.ts';
import { CONTROLLER, STALE_CLAIM_MS, type Engine } from './engine.ts';
import type { RolloutStore } from './rollouts.store.sql.ts';
import type { AnalysisSpec, Rollout } from './rollouts.types.ts';

export interface ControllerDeps {
  rolloutStore: RolloutStore;
  engine: Engine;
  sources: readonly AnalysisMetricSource[];
  clock: (nowMs: number) => Promise<BlockClockConfig>;
  log: (msg: string, err?: unknown) => void;
  /** The clock that stamps `updatedAt` (the engine's); a claim is stale by this clock, not by `tick`'s. */
  wallNow?: () => Date;
}

/** Values for an analysis: candidate = the new version, stable = the previous stable, same window. */
export async function analysisValues(sources: readonly AnalysisMetricSource[], r: Rollout, a: AnalysisSpec, from: Date, to: Date): Promise<Map<string, number | undefined>> {
  const refs = analysisRefs(a);
  const values = new Map<string, number | undefined>();
  for (const scope of ['candidate', 'stable'] as const) {
    const metrics = [...new Set(refs.filter((x) => x.scope === scope).map((x) => x.metric))];
    if (metrics.length === 0) continue;
    const version = scope === 'candidate' ? r.version : r.previousTable.stable;
    const got = await querySources(sources, { model: r.model, channel: r.channel, version, from, to, metrics });
    for (const m of metrics) values.set(refKey({ scope, metric: m }), got.get(m));
  }
  return values;
}

/**
 * The rollout controller. `tick(now)` does what is due for every active rollout — start a
 * scheduled one, end a timed pause, take an analysis measurement and act on its verdict, flag a
 * missed deadline, re-apply an interrupted step — at most one decision per rollout per tick.
 * Safe with several servers on one database: every change is a compare-and-set on `revision`,
 * so a server that loses the race skips the rollout (`rollout_changed`) until its next tick.
 */
export function createController(deps: ControllerDeps) {
  const { rolloutStore, engine, sources, clock, log } = deps;
  const wallNow = deps.wallNow ?? (() => new Date());

  async function step(r: Rollout, now: Date): Promise<void> {
    const nowMs = now.getTime();
    if (!r.applied) {
      if (wallNow().getTime() - Date.parse(r.updatedAt) >= STALE_CLAIM_MS) await engine.reapply(r);
      return;
    }
    if (r.deadline !== null && !r.overdue && nowMs > Date.parse(r.deadline)) {
      r = await engine.note(r, { overdue: true, message: `${r.message}; past its deadline ${r.deadline}` });
    }
    if (r.state === 'scheduled') {
      const at = r.spec.at ?? {};
      const dueByTime = at.time !== undefined && nowMs >= Date.parse(at.time);
      const dueByBlock = at.block !== undefined && blockAt(nowMs, await clock(nowMs)) >= at.block;
      if (dueByTime || dueByBlock) await engine.enterStep(r, 0, CONTROLLER, dueByBlock ? `block ${at.block} reached` : `time ${at.time} reached`);
      return;
    }
    if (r.state !== 'running') return;
    const s = r.spec.steps[r.stepIndex];
    const startMs = Date.parse(r.stepStartedAt);
    if (s === undefined || s.kind === 'weight' || s.kind === 'split' || s.kind === 'shadow') {
      await engine.enterStep(r, r.stepIndex + 1, CONTROLLER);
    } else if (s.kind === 'pause') {
      if (s.durationMs !== undefined && nowMs >= startMs + s.durationMs) await engine.enterStep(r, r.stepIndex + 1, CONTROLLER, 'pause over');
    } else {
      const a = s.analysis;
      if (measurementsDue(a, startMs, nowMs) <= r.analysis.measurements.length) return;
      const values = await analysisValues(sources, r, a, new Date(startMs), now);
      const outcome = measure(a, values);
      const progress = record(r.analysis, now.toISOString(), outcome, values, analysisRefs(a));
      const v = verdict(a, progress);
      const summary = `analysis ${progress.measurements.length}/${a.count ?? 1}: ${outcome} (${Object.entries(progress.measurements.at(-1)!.values).map(([k, x]) => `${k}=${x ?? 'no data'}`).join(', ')})`;
      r = await engine.note(r, { analysis: progress, message: summary });
      if (v === 'failed') await engine.finish(r, 'failed', `aborted: ${summary}; restored the previous table`, CONTROLLER);
      else if (v === 'inconclusive') {
        const why = `analysis inconclusive (${progress.inconclusive} of ${progress.measurements.length} measurements); resume to continue or abort`;
        await engine.commit(r, { state: 'paused', pausedReason: why }, `paused: ${why}`, CONTROLLER);
      }
      else if (v === 'passed') await engine.enterStep(r, r.stepIndex + 1, CONTROLLER, 'analysis passed');
    }
  }

  async function tick(now: Date = new Date()): Promise<void> {
    for (const r of await rolloutStore.allActive()) {
      try {
        await step(r, now);
      } catch (err) {
        const paused = await engine.pauseOnError(r, err).catch(() => undefined);
        if (!paused) log(`rollout ${r.id}: controller step failed`, err);
      }
    }
  }

  /** Runs `tick` every `intervalMs` (never overlapping itself); returns a stop function. */
  function start(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      tick(new Date())
        .catch((err) => log('rollout controller tick failed', err))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  return { tick, start };
}

export type RolloutController = ReturnType<typeof createController>;
