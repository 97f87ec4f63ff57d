import { seg, type HttpTransport } from '../http.ts';

/** One gate of a channel's policy, as the server normalized it (defaults filled in). */
export interface GateSpec {
  type: 'integrity' | 'schema' | 'dependencies' | 'metric' | 'regression' | 'fairness' | 'size' | 'latency' | 'command' | 'webhook';
  [param: string]: unknown;
}

export interface PolicyRecord {
  model: string;
  /** The YAML as written. */
  yaml: string;
  policy: { channels: Record<string, { approvals: number; gates: GateSpec[] }> };
  digest: string;
  updatedAt: string;
  updatedBy: string;
}

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
