import type { GateSpec, PolicyRecord } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { GateSpec, PolicyRecord };

/** A model's policy: protected channels, their gates and the approvals they need. */
export class PolicyApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Replaces the policy (admin). Invalid YAML or values throw StewardApiError `invalid_policy`
   * whose `details.issues[]` carry `line`, `col`, `path` and `message`.
   * @example
   * await client.policy.set('income', readFileSync('policy.yaml', 'utf8'));
   */
  set(model: string, yaml: string): Promise<PolicyRecord> {
    return this.http.json('PUT', `/models/${seg(model)}/policy`, { yaml });
  }

  get(model: string): Promise<PolicyRecord> {
    return this.http.json('GET', `/models/${seg(model)}/policy`);
  }
}
