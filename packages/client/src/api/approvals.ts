import type { Approval } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { Approval };

/** Approvals of a version for a protected channel (role approver or admin; never the author). */
export class ApprovalsApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * @example
   * await client.approvals.approve('income', '1.1.0', { channel: 'production', comment: 'checked the fairness table' });
   */
  approve(model: string, ref: string, body: { channel: string; comment?: string }): Promise<Approval> {
    return this.http.json('POST', `/models/${seg(model)}/versions/${seg(ref)}/approvals`, body);
  }

  async list(model: string, ref: string, channel?: string): Promise<Approval[]> {
    return (await this.http.json<{ items: Approval[] }>('GET', `/models/${seg(model)}/versions/${seg(ref)}/approvals`, undefined, { channel })).items;
  }
}
