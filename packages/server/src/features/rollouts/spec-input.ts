import { InvalidInputError } from '@steward/core';
import type { RolloutAnalysis, RolloutStepInput, StartRollout } from '@steward/core/api';
import { parseDuration } from './duration.ts';
import { STRATEGIES, type AnalysisSpec, type RolloutSpec, type Step, type Strategy } from './rollouts.types.ts';
import { planSteps } from './steps.ts';

const bad = (path: string, msg: string, details: Record<string, unknown> = {}) => new InvalidInputError(`${path}: ${msg}`, { path, ...details });

/** Percent (0..100, at most two decimals) → basis points. */
export function percentToBps(p: number, path: string): number {
  const bps = Math.round(p * 100);
  if (!Number.isFinite(p) || p < 0 || p > 100 || Math.abs(bps - p * 100) > 1e-6) throw bad(path, `must be a percentage 0..100 with at most two decimals (got ${p})`);
  return bps;
}

export function analysisSpec(a: RolloutAnalysis, path: string): AnalysisSpec {
  if (a.successCondition === undefined && a.failureCondition === undefined) throw bad(path, 'needs a successCondition, a failureCondition or both');
  const count = a.count ?? 1;
  if (!Number.isSafeInteger(count) || count < 1 || count > 1000) throw bad(`${path}.count`, 'must be an integer 1..1000');
  const failureLimit = a.failureLimit ?? 0;
  if (!Number.isSafeInteger(failureLimit) || failureLimit < 0) throw bad(`${path}.failureLimit`, 'must be a non-negative integer');
  return {
    ...(a.successCondition !== undefined ? { successCondition: a.successCondition } : {}),
    ...(a.failureCondition !== undefined ? { failureCondition: a.failureCondition } : {}),
    failureLimit,
    intervalMs: parseDuration(a.interval, `${path}.interval`),
    count,
  };
}

function step(s: RolloutStepInput, i: number): Step {
  const path = `steps[${i}]`;
  const keys = Object.keys(s);
  if (keys.length !== 1) throw bad(path, 'must have exactly one of weight, pause, analysis');
  if ('weight' in s) return { kind: 'weight', weightBps: percentToBps(s.weight, `${path}.weight`) };
  if ('analysis' in s) return { kind: 'analysis', analysis: analysisSpec(s.analysis, `${path}.analysis`) };
  const p = (s as { pause?: unknown }).pause;
  const d = typeof p === 'object' && p !== null ? (p as { duration?: string | number }).duration : (p as string | number | null | undefined);
  return d === undefined || d === null ? { kind: 'pause' } : { kind: 'pause', durationMs: parseDuration(d, `${path}.pause`) };
}

/** Checks and normalises the shape of a start request (versions and metrics are checked later). */
export function toSpec(input: StartRollout, nowMs: number): RolloutSpec {
  const strategy = input.strategy ?? 'canary';
  if (!STRATEGIES.includes(strategy)) throw bad('strategy', `unknown strategy "${strategy}"; use one of ${STRATEGIES.join(', ')}`);
  const analysis = input.analysis ? analysisSpec(input.analysis, 'analysis') : undefined;
  const given = (input.steps ?? []).map(step);
  if (strategy === 'canary') {
    if (given.length === 0) throw bad('steps', 'a canary needs steps, e.g. [{ "weight": 10 }, { "pause": "10m" }, { "weight": 100 }]');
    if (!given.some((s) => s.kind === 'weight')) throw bad('steps', 'a canary needs at least one weight step');
  } else if (given.length > 0) throw bad('steps', `steps apply to canary rollouts only; ${strategy} has a fixed plan`);
  let splitBps: number | undefined;
  if (input.split !== undefined) {
    if (strategy !== 'ab') throw bad('split', 'applies to ab rollouts only');
    if (input.split.length !== 2) throw bad('split', 'give two percentages [a, b], e.g. [50, 50]');
    const [a, b] = input.split.map((p, i) => percentToBps(p, `split[${i}]`)) as [number, number];
    if (a + b !== 10_000) throw bad('split', `percentages must sum to 100 (got ${(a + b) / 100})`, { sum: (a + b) / 100 });
    if (b === 0) throw bad('split', 'the new version (b) needs a non-zero share');
    splitBps = b;
  }
  const shadowBps = input.shadowPercent === undefined ? undefined : percentToBps(input.shadowPercent, 'shadowPercent');
  if (shadowBps !== undefined && strategy !== 'shadow') throw bad('shadowPercent', 'applies to shadow rollouts only');
  if (strategy === 'scheduled') {
    const at = input.at;
    if (!at || (at.block === undefined && at.time === undefined)) throw bad('at', 'a scheduled rollout needs at.block (a block height) or at.time (ISO-8601)');
    if (at.block !== undefined && (!Number.isSafeInteger(at.block) || at.block < 0)) throw bad('at.block', 'must be a non-negative integer block height');
    if (at.time !== undefined && Number.isNaN(Date.parse(at.time))) throw bad('at.time', `not an ISO-8601 time: ${at.time}`);
  } else if (input.at !== undefined) throw bad('at', 'applies to scheduled rollouts only');
  let deadline: string | undefined;
  if (input.deadline !== undefined) {
    const t = Date.parse(input.deadline);
    deadline = new Date(Number.isNaN(t) ? nowMs + parseDuration(input.deadline, 'deadline') : t).toISOString();
  }
  return {
    version: input.version,
    strategy,
    steps: planSteps(strategy, given, analysis),
    ...(input.constraints?.length ? { constraints: input.constraints } : {}),
    ...(input.variant !== undefined ? { variant: input.variant } : {}),
    ...(input.platformVariants ? { platformVariants: input.platformVariants } : {}),
    ...(input.download ? { download: input.download } : {}),
    ...(input.critical ? { critical: true } : {}),
    ...(splitBps !== undefined ? { splitBps } : {}),
    ...(strategy === 'shadow' ? { shadowBps: shadowBps ?? 10_000 } : {}),
    ...(input.at ? { at: input.at } : {}),
    ...(analysis ? { analysis } : {}),
    ...(deadline ? { deadline } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
  };
}
