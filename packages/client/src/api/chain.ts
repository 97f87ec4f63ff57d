import type { HttpTransport } from '../http.ts';

export interface BlockHeaderInfo {
  height: number;
  prevHash: string;
  eventsRoot: string;
  eventCount: number;
  hash: string;
}

export interface ChainHead {
  currentBlock: number;
  genesisMs: number;
  intervalMs: number;
  head: BlockHeaderInfo | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  /** Block that holds the event; null until sealed. */
  block: number | null;
}

/** The block clock and the hash-chained audit log. */
export class ChainApi {
  constructor(private readonly http: HttpTransport) {}

  /** Current block, clock parameters and the newest sealed block. */
  head(): Promise<ChainHead> {
    return this.http.json('GET', '/chain/head');
  }

  /** Sealed blocks above `after` (default: from the start), with their events as hashed. */
  blocks(query: { after?: number; limit?: number } = {}): Promise<{ items: { block: BlockHeaderInfo; events: string[] }[]; anchor: BlockHeaderInfo | null }> {
    return this.http.json('GET', '/chain/blocks', undefined, { ...query });
  }

  /** Audit events, newest first (admin). */
  async events(query: { limit?: number; before?: string; action?: string; target?: string; actor?: string } = {}): Promise<AuditEvent[]> {
    return (await this.http.json<{ items: AuditEvent[] }>('GET', '/audit/events', undefined, { ...query })).items;
  }
}
