import type { RoutingTable } from '../channels/channels.types.ts';

/** One installed version as a node reports it; `digest` is the manifest digest (manifest-digest.ts). */
export interface InstalledVersion {
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

export interface HeartbeatInput {
  channels: { model: string; channel: string }[];
  installed: InstalledVersion[];
  profile: NodeProfile;
  appVersion: string;
  health: 'ok' | 'degraded' | 'failing';
  telemetry?: VersionTelemetry[];
  /** The node's wall clock (ms); refused when far from the server's. */
  clockMs?: number;
}

export interface FleetNode {
  id: string;
  tokenName: string;
  profile: NodeProfile;
  appVersion: string;
  health: string;
  installed: InstalledVersion[];
  channels: { model: string; channel: string }[];
  telemetry: VersionTelemetry[];
  flagged: InstalledVersion[];
  firstSeenAt: string;
  lastSeenAt: string;
  lastBlock: number;
  live: boolean;
}

export type TransitionState = 'pending' | 'scheduled' | 'superseded' | 'refused';

export interface Transition {
  id: string;
  model: string;
  channel: string;
  kind: string;
  table: RoutingTable;
  previousTable: RoutingTable | null;
  proposedAtBlock: number;
  usableFromBlock: number | null;
  state: TransitionState;
  basis: string | null;
  reason: string;
  author: string;
  createdAt: string;
  decidedAt: string | null;
}
