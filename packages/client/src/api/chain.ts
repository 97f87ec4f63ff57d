import type { AuditEvent, AuditQuery, BlockHeaderInfo, ChainBlocks, ChainHead } from '@steward/core/api';
import type { HttpTransport } from '../http.ts';

export type { AuditEvent, BlockHeaderInfo, ChainHead };

/** The block clock and the hash-chained audit log. */
export class ChainApi {
  constructor(private readonly http: HttpTransport) {}

  /** Current block, clock parameters and the newest sealed block. */
  head(): Promise<ChainHead> {
    return this.http.json('GET', '/chain/head');
  }

  /** Sealed blocks above `after` (default: from the start), with their events as hashed. */
  blocks(query: { after?: number; limit?: number } = {}): Promise<ChainBlocks> {
    return this.http.json('GET', '/chain/blocks', undefined, { ...query });
  }

  /** Audit events, newest first (admin). */
  async events(query: AuditQuery = {}): Promise<AuditEvent[]> {
    return (await this.http.json<{ items: AuditEvent[] }>('GET', '/audit/events', undefined, { ...query })).items;
  }
}
