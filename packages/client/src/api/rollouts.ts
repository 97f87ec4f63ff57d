import { seg, type HttpTransport } from '../http.ts';
import type { RoutingTable } from '../types.ts';

export type RolloutStrategy = 'immediate' | 'canary' | 'ab' | 'shadow' | 'blue-green' | 'scheduled';
export type RolloutState = 'scheduled' | 'running' | 'paused' | 'succeeded' | 'aborted' | 'failed';

/** An analysis: conditions over reported metrics, measured `count` times every `interval`. */
export interface RolloutAnalysis {
  /** e.g. `errorRate < 0.01 and latencyP95 <= stable.latencyP95 * 1.2 and requests >= 500` */
  successCondition?: string;
  /** e.g. `errorRate > 0.05` */
  failureCondition?: string;
  failureLimit?: number;
  /** `30s`, `5m`, or milliseconds. */
  interval: string | number;
  count?: number;
}

export type RolloutStepInput = { weight: number } | { pause?: string | number | null } | { analysis: RolloutAnalysis };

export interface RolloutConstraint {
  attribute: string;
  op: 'in' | 'notIn' | 'eq' | 'neq' | 'semver' | 'lt' | 'lte' | 'gt' | 'gte';
  value: string | number | boolean | Array<string | number | boolean>;
}

export interface DownloadConditions {
  unmeteredOnly?: boolean;
  chargingOnly?: boolean;
  idleOnly?: boolean;
  maxBytes?: number;
}

export interface StartRollout {
  version: string;
  strategy?: RolloutStrategy;
  /** Canary steps; weights are percentages. */
  steps?: RolloutStepInput[];
  analysis?: RolloutAnalysis;
  constraints?: RolloutConstraint[];
  variant?: string;
  platformVariants?: Record<string, string>;
  download?: Record<string, DownloadConditions>;
  critical?: boolean;
  /** A/B: `[a, b]` percentages summing to 100. */
  split?: [number, number];
  shadowPercent?: number;
  at?: { block?: number; time?: string };
  /** ISO time or duration from now (`2h`); a rollout still active after it is flagged overdue. */
  deadline?: string;
  reason?: string;
}

export interface AbComparison {
  metric: string;
  a: { version: string; successes: number; trials: number };
  b: { version: string; successes: number; trials: number };
  test: { pA: number; pB: number; diff: number; ci95: [number, number]; lift: number | null; cohensH: number; z: number; pValue: number } | null;
}

export interface Rollout {
  id: string;
  model: string;
  channel: string;
  state: RolloutState;
  strategy: RolloutStrategy;
  version: string;
  previousTable: RoutingTable;
  table: RoutingTable;
  stepIndex: number;
  stepStartedAt: string;
  analysis: { measurements: Array<{ at: string; outcome: 'success' | 'failure' | 'inconclusive'; values: Record<string, number | null> }>; failures: number; inconclusive: number };
  message: string;
  pausedReason: string | null;
  critical: boolean;
  deadline: string | null;
  overdue: boolean;
  revision: number;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** What status returns: the rollout with its plan, live metrics and (A/B) statistics. */
export interface RolloutView extends Rollout {
  active: boolean;
  steps: Array<{ index: number; description: string; status: 'done' | 'current' | 'pending' }>;
  metrics: { since: string; candidate: Record<string, number>; stable: Record<string, number> };
  ab?: AbComparison[];
}

/** Rollouts: move a channel to a new version step by step, with analysis and automatic abort. */
export class RolloutsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * await client.rollouts.start('fraud', 'production', {
   *   version: '1.2.0', strategy: 'canary', steps: [{ weight: 10 }, { pause: '10m' }, { weight: 50 }, { weight: 100 }],
   *   analysis: { successCondition: 'errorRate < 0.01', failureCondition: 'errorRate > 0.05', interval: '1m', count: 3 },
   * });
   */
  start(model: string, channel: string, body: StartRollout): Promise<RolloutView> {
    return this.http.json('POST', `${this.#ch(model, channel)}/rollouts`, body);
  }

  /** The active rollout of the channel, else its latest one. 404 if it never had one. */
  status(model: string, channel: string): Promise<RolloutView> {
    return this.http.json('GET', `${this.#ch(model, channel)}/rollout`);
  }

  get(id: string): Promise<RolloutView> {
    return this.http.json('GET', `/rollouts/${seg(id)}`);
  }

  /** Newest first. */
  async list(model: string, channel: string, query: { limit?: number } = {}): Promise<Rollout[]> {
    return (await this.http.json<{ items: Rollout[] }>('GET', `${this.#ch(model, channel)}/rollouts`, undefined, { ...query })).items;
  }

  pause(model: string, channel: string, reason?: string): Promise<RolloutView> {
    return this.#act(model, channel, 'pause', reason);
  }
  resume(model: string, channel: string, reason?: string): Promise<RolloutView> {
    return this.#act(model, channel, 'resume', reason);
  }
  promote(model: string, channel: string, reason?: string): Promise<RolloutView> {
    return this.#act(model, channel, 'promote', reason);
  }
  /** Restores the table from before the rollout. */
  abort(model: string, channel: string, reason?: string): Promise<RolloutView> {
    return this.#act(model, channel, 'abort', reason);
  }

  #act(model: string, channel: string, action: string, reason?: string): Promise<RolloutView> {
    return this.http.json('POST', `${this.#ch(model, channel)}/rollout/${action}`, reason === undefined ? {} : { reason });
  }

  #ch(model: string, channel: string): string {
    return `/models/${seg(model)}/channels/${seg(channel)}`;
  }
}
