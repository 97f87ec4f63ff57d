import { seg, type HttpTransport } from '../http.ts';
import type { AbComparison, DownloadConditions, Rollout, RolloutAnalysis, RolloutConstraint, RolloutState, RolloutStepInput, RolloutStrategy, RolloutView, StartRollout } from '@steward/core/api';

export type { AbComparison, DownloadConditions, Rollout, RolloutAnalysis, RolloutConstraint, RolloutState, RolloutStepInput, RolloutStrategy, RolloutView, StartRollout };

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
