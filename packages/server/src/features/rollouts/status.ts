import type { AnalysisMetricSource } from './analysis-source.ts';
import { twoProportionZTest, type ZTestResult } from './ab-stats.ts';
import { BASE_METRICS } from '../telemetry/aggregate.ts';
import { ACTIVE_STATES, type Rollout } from './rollouts.types.ts';
import { describeStep } from './steps.ts';

export interface AbComparison {
  /** `errorRate` or `rate.<counter>`: a proportion of requests. */
  metric: string;
  a: { version: string; successes: number; trials: number };
  b: { version: string; successes: number; trials: number };
  test: ZTestResult | null;
}

export interface RolloutView extends Rollout {
  active: boolean;
  steps: Array<{ index: number; description: string; status: 'done' | 'current' | 'pending' }>;
  /** Telemetry since the current step began: the new version and the one it replaces. */
  metrics: { since: string; candidate: Record<string, number>; stable: Record<string, number> };
  ab?: AbComparison[];
}

const toRecord = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

/** What `steward rollout status` shows: the plan with progress, live metrics and A/B statistics. */
export async function viewOf(r: Rollout, source: AnalysisMetricSource, now: Date): Promise<RolloutView> {
  const active = ACTIVE_STATES.includes(r.state);
  const steps = r.spec.steps.map((s, index) => ({
    index,
    description: describeStep(s, r.spec),
    status: (r.state === 'succeeded' || index < r.stepIndex ? 'done' : index === r.stepIndex && active ? 'current' : 'pending') as 'done' | 'current' | 'pending',
  }));
  // A/B and shadow compare over the whole rollout; canary over the current step (its traffic share).
  const since = r.strategy === 'ab' || r.strategy === 'shadow' ? r.createdAt : r.stepStartedAt;
  // Clients may stamp windows a little ahead of the server clock (ingest allows 5 min of skew).
  const to = r.finishedAt ? new Date(r.finishedAt) : new Date(now.getTime() + 300_000);
  const q = { model: r.model, channel: r.channel, from: new Date(since), to, metrics: BASE_METRICS };
  const candidate = await source.query({ ...q, version: r.version });
  const stable = r.previousTable.stable === r.version ? new Map<string, number>() : await source.query({ ...q, version: r.previousTable.stable });
  const view: RolloutView = { ...r, active, steps, metrics: { since, candidate: toRecord(candidate), stable: toRecord(stable) } };
  if (r.strategy === 'ab') view.ab = compareArms(r, stable, candidate);
  return view;
}

/** Error rate and every counter both arms report, as proportions of requests, z-tested. */
export function compareArms(r: Rollout, a: Map<string, number>, b: Map<string, number>): AbComparison[] {
  const trialsA = a.get('requests') ?? 0;
  const trialsB = b.get('requests') ?? 0;
  const pairs: Array<[string, number, number]> = [['errorRate', a.get('errors') ?? 0, b.get('errors') ?? 0]];
  for (const [k, v] of a) {
    if (k.startsWith('counter.') && b.has(k)) pairs.push([`rate.${k.slice('counter.'.length)}`, v, b.get(k)!]);
  }
  return pairs.map(([metric, sa, sb]) => ({
    metric,
    a: { version: r.previousTable.stable, successes: sa, trials: trialsA },
    b: { version: r.version, successes: sb, trials: trialsB },
    test: twoProportionZTest({ successes: Math.min(sa, trialsA), trials: trialsA }, { successes: Math.min(sb, trialsB), trials: trialsB }),
  }));
}
