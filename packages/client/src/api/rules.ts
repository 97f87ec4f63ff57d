import { seg, type HttpTransport } from '../http.ts';

/** Maintenance rules of a model (YAML, see docs/monitoring.md). */
export class RulesApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Replaces the model's rules.
   * @example
   * await client.rules.set('adult', readFileSync('rules.yaml', 'utf8'));
   */
  async set(model: string, yaml: string): Promise<Record<string, any>> {
    const res = await this.http.raw('PUT', `/models/${seg(model)}/rules`, { body: yaml, headers: { 'content-type': 'application/yaml', accept: 'application/json' } });
    return (await res.json()) as Record<string, any>;
  }

  get(model: string): Promise<Record<string, any>> {
    return this.http.json('GET', `/models/${seg(model)}/rules`);
  }

  /** Evaluate now; returns each rule's outcome (fired, cleared, skipped, result). */
  evaluate(model: string): Promise<{ model: string; outcomes: Array<Record<string, any>> }> {
    return this.http.json('POST', `/models/${seg(model)}/rules/evaluate`);
  }

  deliveries(model: string): Promise<{ items: Array<Record<string, any>> }> {
    return this.http.json('GET', `/models/${seg(model)}/rules/deliveries`);
  }
}
