import { seg, type HttpTransport } from '../http.ts';

/** A routing table: `stable` plus candidate, variants, overrides (see core routing/). */
export interface FleetTable {
  stable: string;
  [key: string]: unknown;
}

/** An installed version; `digest` = SHA-256 hex of the UTF-8 of `canonicalJson(version.manifest)`. */
export interface InstalledVersionReport {
  model: string;
  version: string;
  digest: string;
}

export interface NodeProfile {
  platform?: string;
  os?: string;
  arch?: string;
  memoryMb?: number;
  storageMb?: number;
  metered?: boolean;
  charging?: boolean;
}

export interface VersionTelemetry {
  model: string;
  version: string;
  requests: number;
  errors: number;
  latencyMsP50?: number;
  latencyMsP99?: number;
}

export interface Heartbeat {
  channels: { model: string; channel: string }[];
  installed: InstalledVersionReport[];
  profile?: NodeProfile;
  appVersion?: string;
  health?: 'ok' | 'degraded' | 'failing';
  telemetry?: VersionTelemetry[];
  clockMs?: number;
}

export interface ChannelDesired {
  model: string;
  channel: string;
  /** Ordered by usableFromBlock: the table before the one in force, the one in force, scheduled ones. */
  history: { table: FleetTable; usableFromBlock: number }[];
  inForce: FleetTable | null;
  pending: { id: string; table: FleetTable; proposedAtBlock: number } | null;
  lagging: boolean;
  /** Versions this node should fetch (in force, scheduled or pending) that it does not hold verified. */
  missing: string[];
}

export interface HeartbeatAnswer {
  nodeId: string;
  currentBlock: number;
  genesisMs: number;
  intervalMs: number;
  heartbeatIntervalMs: number;
  /** Blocks between a quorum decision and its switch: how long a node's view of the tables stays valid. */
  activationDelay: number;
  /** Blocks between an authorized rollback and its switch. */
  rollbackDelay: number;
  lagging: boolean;
  flagged: InstalledVersionReport[];
  channels: ChannelDesired[];
  /** Names the tables listed here: pass it as `since` to `waitDesired` to wait for the next change. */
  etag: string;
}

/** A long-poll answer: the tables a node should know (no per-node `missing`: the next heartbeat says). */
export interface DesiredTables {
  nodeId: string;
  etag: string;
  currentBlock: number;
  genesisMs: number;
  intervalMs: number;
  activationDelay: number;
  rollbackDelay: number;
  channels: Omit<ChannelDesired, 'lagging' | 'missing'>[];
}

export interface FleetNode {
  id: string;
  tokenName: string;
  profile: NodeProfile;
  appVersion: string;
  health: string;
  installed: InstalledVersionReport[];
  channels: { model: string; channel: string }[];
  telemetry: VersionTelemetry[];
  flagged: InstalledVersionReport[];
  firstSeenAt: string;
  lastSeenAt: string;
  lastBlock: number;
  live: boolean;
}

export interface FleetTransition {
  id: string;
  model: string;
  channel: string;
  kind: string;
  table: FleetTable;
  previousTable: FleetTable | null;
  proposedAtBlock: number;
  usableFromBlock: number | null;
  state: 'pending' | 'scheduled' | 'superseded' | 'refused';
  basis: string | null;
  reason: string;
  author: string;
  createdAt: string;
  decidedAt: string | null;
}

/** Fleet: node heartbeats, the node list, and fleet-wide transitions. */
export class FleetApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Reports what a node holds and learns what to serve (needs a `node` or `admin` token).
   * @example
   * const answer = await client.fleet.heartbeat('gpu-a', { channels: [{ model: 'llama', channel: 'production' }], installed: [] });
   */
  heartbeat(nodeId: string, body: Heartbeat): Promise<HeartbeatAnswer> {
    return this.http.json('POST', `/nodes/${seg(nodeId)}/heartbeat`, body);
  }

  /**
   * Long-poll: resolves `{ changed: true, tables }` as soon as the node's tables differ from `since`,
   * or `{ changed: false, etag }` after `waitMs` (at most 60 s) with nothing new. The node must have
   * heartbeated once (that registers its channels). Abort with `signal`.
   * @example
   * let etag = (await client.fleet.heartbeat('gpu-a', hb)).etag;
   * const r = await client.fleet.waitDesired('gpu-a', { since: etag, waitMs: 30_000 });
   * if (r.changed) etag = r.tables.etag;
   */
  async waitDesired(nodeId: string, o: { since?: string; waitMs?: number; signal?: AbortSignal } = {}): Promise<{ changed: true; tables: DesiredTables } | { changed: false; etag: string }> {
    const res = await this.http.raw('GET', `/nodes/${seg(nodeId)}/desired`, {
      query: { ...(o.waitMs !== undefined ? { wait: `${Math.max(0, Math.round(o.waitMs))}ms` } : {}), ...(o.since ? { since: o.since } : {}) },
      headers: { accept: 'application/json' },
      allow: [304],
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (res.status === 304) {
      await res.body?.cancel();
      return { changed: false, etag: (res.headers.get('etag') ?? o.since ?? '').replace(/"/g, '') };
    }
    return { changed: true, tables: (await res.json()) as DesiredTables };
  }

  /** Registered nodes, optionally only those subscribed to a model's channels. */
  async nodes(query: { model?: string; limit?: number } = {}): Promise<FleetNode[]> {
    return (await this.http.json<{ items: FleetNode[] }>('GET', '/nodes', undefined, { ...query })).items;
  }

  /** A model's transitions in queue order, with the current block. */
  transitions(model: string, query: { channel?: string } = {}): Promise<{ currentBlock: number; items: FleetTransition[] }> {
    return this.http.json('GET', `/models/${seg(model)}/transitions`, undefined, { ...query });
  }
}
