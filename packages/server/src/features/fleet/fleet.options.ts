import { DEFAULT_ACTIVATION_DELAY, DEFAULT_QUORUM } from '@steward/core';

/** Fleet tuning. Times in ms are converted to blocks with the stored block interval. */
export interface FleetOptions {
  /** Fraction of live nodes that must hold the new table's versions (by digest). */
  quorum: number;
  /** Blocks between the quorum decision and the switch. */
  activationDelay: number;
  /** A node is live while its last heartbeat is at most this old. */
  livenessTtlMs: number;
  /** Nodes silent this long are removed. */
  pruneAfterMs: number;
  /** Heartbeat interval the server suggests to agents. */
  heartbeatIntervalMs: number;
  /** Per-node rate limit: burst and sustained heartbeats per second. */
  heartbeatBurst: number;
  heartbeatPerSecond: number;
  /** A node whose reported clock is further than this from the server's is refused (400). */
  maxClockSkewMs: number;
}

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  quorum: DEFAULT_QUORUM,
  activationDelay: DEFAULT_ACTIVATION_DELAY,
  livenessTtlMs: 30_000,
  pruneAfterMs: 24 * 3600_000,
  heartbeatIntervalMs: 5_000,
  heartbeatBurst: 10,
  heartbeatPerSecond: 2,
  maxClockSkewMs: 5 * 60_000,
};

export const toBlocks = (ms: number, intervalMs: number) => Math.max(1, Math.ceil(ms / intervalMs));
