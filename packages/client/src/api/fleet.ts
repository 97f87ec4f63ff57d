import type { ChannelDesired, DesiredTables, FleetNode, FleetTransition, Heartbeat, HeartbeatAnswer, InstalledVersion, NodeProfile, RoutingTable, VersionTelemetry } from '@steward/core/api';
import { seg, type HttpTransport } from '../http.ts';

export type { ChannelDesired, DesiredTables, FleetNode, FleetTransition, Heartbeat, HeartbeatAnswer, NodeProfile, VersionTelemetry };
/** An installed version; `digest` = SHA-256 hex of the UTF-8 of `canonicalJson(version.manifest)`. */
export type InstalledVersionReport = InstalledVersion;
/** A routing table as the fleet API carries it: `stable` plus candidate, variants, overrides. */
export type FleetTable = RoutingTable;

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
