import { DEFAULT_ACTIVATION_DELAY, DEFAULT_QUORUM } from '@steward/core';

/** Fleet tuning. Times in ms are converted to blocks with the stored block interval. */
export interface FleetOptions {
  /** Fraction of live nodes that must hold the new table's versions (by digest). */
  quorum: number;
  /** Blocks between the quorum decision and the switch. */
  activationDelay: number;
  /**
   * Blocks between an authorized rollback and its switch. Not 1: a node learns of a change only at
   * its next heartbeat, so a switch sooner than one heartbeat interval would make nodes serve new
   * requests with a table no longer in force. Default: one heartbeat interval plus a block.
   */
  rollbackDelay: number;
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
  /** Long-poll requests (GET /nodes/{id}/desired?wait=) one server holds at once; more get 429. */
  maxLongPolls: number;
  /** Longest `wait` a long-poll may ask for. */
  maxLongPollMs: number;
  /**
   * While long-polls are held, how often the server re-reads the watched channels' transitions to
   * notice changes made through another server (changes made through this one wake them at once).
   */
  longPollCheckMs: number;
}

export const DEFAULT_FLEET_OPTIONS: FleetOptions = {
  quorum: DEFAULT_QUORUM,
  activationDelay: DEFAULT_ACTIVATION_DELAY,
  rollbackDelay: 6,
  livenessTtlMs: 30_000,
  pruneAfterMs: 24 * 3600_000,
  heartbeatIntervalMs: 5_000,
  heartbeatBurst: 10,
  heartbeatPerSecond: 2,
  maxClockSkewMs: 5 * 60_000,
  maxLongPolls: 20_000,
  maxLongPollMs: 60_000,
  longPollCheckMs: 1_000,
};

export const toBlocks = (ms: number, intervalMs: number) => Math.max(1, Math.ceil(ms / intervalMs));
