import { formatDuration, type RoutingTable } from '@steward/core';
import { abTable, canaryTable, finalTable } from './plan.ts';
import type { RolloutSpec, Step, Strategy } from './rollouts.types.ts';

export const FULL_BPS = 10_000;

/**
 * The step list of a strategy. Every plan ends by promotion: reaching the end of the list (or a
 * weight step of 100 %) writes the final table (`stable` = the new version).
 * - immediate / scheduled: one 100 % step (scheduled waits for its block or time first).
 * - canary: the caller's steps; `analysis` (if given) runs after every weight step below 100 %
 *   unless the steps already contain analysis steps.
 * - blue-green: the candidate at 0 % (fleets pre-install it, nobody is routed to it), the
 *   pre-switch analysis if given, then everyone at once.
 * - ab: the fixed split, the analysis if given, then a pause until someone promotes or aborts.
 * - shadow: mirroring starts, the analysis if given, then a pause until promote or abort.
 */
export function planSteps(strategy: Strategy, steps: readonly Step[], analysis: RolloutSpec['analysis']): Step[] {
  const a: Step[] = analysis ? [{ kind: 'analysis', analysis }] : [];
  switch (strategy) {
    case 'immediate':
    case 'scheduled':
      return [{ kind: 'weight', weightBps: FULL_BPS }];
    case 'blue-green':
      return [{ kind: 'weight', weightBps: 0 }, ...a, { kind: 'weight', weightBps: FULL_BPS }];
    case 'ab':
      return [{ kind: 'split' }, ...a, { kind: 'pause' }];
    case 'shadow':
      return [{ kind: 'shadow' }, ...a, { kind: 'pause' }];
    case 'canary': {
      if (a.length === 0 || steps.some((s) => s.kind === 'analysis')) return [...steps];
      return steps.flatMap((s) => (s.kind === 'weight' && s.weightBps < FULL_BPS ? [s, ...a] : [s]));
    }
  }
}

/** Whether entering the step finishes it at once (it only changes the table). */
export const instantaneous = (s: Step): boolean => s.kind === 'weight' || s.kind === 'split' || s.kind === 'shadow';

/** The table a step wants, given the table before it; undefined = unchanged. */
export function tableForStep(step: Step, prev: RoutingTable, spec: RolloutSpec, rolloutId: string): RoutingTable | undefined {
  if (step.kind === 'weight') return step.weightBps >= FULL_BPS ? finalTable(prev, spec) : canaryTable(prev, spec, rolloutId, step.weightBps);
  if (step.kind === 'split') return abTable(prev, spec, rolloutId);
  return undefined;
}

export function describeStep(s: Step, spec: RolloutSpec): string {
  switch (s.kind) {
    case 'weight':
      return s.weightBps >= FULL_BPS ? `promote: everyone on ${spec.version}` : `weight ${s.weightBps / 100}% on ${spec.version}`;
    case 'pause':
      return s.durationMs === undefined ? 'pause until resumed' : `pause ${formatDuration(s.durationMs)}`;
    case 'analysis':
      return `analysis (${s.analysis.count ?? 1} x ${formatDuration(s.analysis.intervalMs)})`;
    case 'split':
      return `A/B split: ${(FULL_BPS - (spec.splitBps ?? 5000)) / 100}% a / ${(spec.splitBps ?? 5000) / 100}% b (${spec.version})`;
    case 'shadow':
      return `shadow: mirror ${(spec.shadowBps ?? FULL_BPS) / 100}% of requests to ${spec.version}`;
  }
}
