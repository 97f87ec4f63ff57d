import type { Delivery, Rule, RuleOutcome, RulesView } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { Delivery, Rule, RuleOutcome, RulesView };

/** Maintenance rules of a model (YAML, see docs/monitoring.md). */
export class RulesApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Replaces the model's rules.
   * @example
   * await client.rules.set('adult', readFileSync('rules.yaml', 'utf8'));
   */
  async set(model: string, yaml: string): Promise<RulesView> {
    const res = await this.http.raw('PUT', `/models/${seg(model)}/rules`, { body: yaml, headers: { 'content-type': 'application/yaml', accept: 'application/json' } });
    return (await res.json()) as RulesView;
  }

  get(model: string): Promise<RulesView> {
    return this.http.json('GET', `/models/${seg(model)}/rules`);
  }

  /** Evaluate now; returns each rule's outcome (fired, cleared, skipped, result). */
  evaluate(model: string): Promise<{ model: string; outcomes: RuleOutcome[] }> {
    return this.http.json('POST', `/models/${seg(model)}/rules/evaluate`);
  }

  deliveries(model: string): Promise<{ items: Delivery[] }> {
    return this.http.json('GET', `/models/${seg(model)}/rules/deliveries`);
  }
}
