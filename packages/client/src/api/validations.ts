import type { GateResult, GateStatus, ValidationReport } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { GateResult, GateStatus, ValidationReport };

/** Validation runs: a channel's gates on a version, stored as a report. */
export class ValidationsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Runs the gates; resolves with the report whatever its status (check `report.status`).
   * @example
   * const report = await client.validations.run('income', '1.1.0', 'production');
   * for (const g of report.gates) console.log(g.gate, g.status, g.message);
   */
  run(model: string, ref: string, channel: string): Promise<ValidationReport> {
    return this.http.json('POST', `${path(model, ref)}`, { channel });
  }

  /** The newest report (for `channel`, if given); 404 `validation_not_found` if none. */
  latest(model: string, ref: string, channel?: string): Promise<ValidationReport> {
    return this.http.json('GET', `${path(model, ref)}/latest`, undefined, { channel });
  }

  async list(model: string, ref: string, query: { channel?: string; limit?: number } = {}): Promise<ValidationReport[]> {
    return (await this.http.json<{ items: ValidationReport[] }>('GET', path(model, ref), undefined, { ...query })).items;
  }
}

const path = (model: string, ref: string) => `/models/${seg(model)}/versions/${seg(ref)}/validations`;
