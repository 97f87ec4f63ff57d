import type { Kysely, Transaction } from 'kysely';
import type { AuditEventsTable, Database } from '../../db/schema.ts';

/**
 * Tables added by migration 0004_fleet (fleet.migration.ts), typed here so the shared schema.ts
 * stays untouched. `ChainDatabase` is the full database as the chain and fleet features see it.
 */
export interface BlocksTable {
  /** Block height (see core chain/block-clock.ts). Unique: two sealers cannot both seal it. */
  height: number;
  /** Unique too: two sealers that picked different heights still cannot fork the chain. */
  prev_hash: string;
  events_root: string;
  event_count: number;
  hash: string;
  sealed_at: string;
}

export interface ChainAuditEventsTable extends AuditEventsTable {
  /** Height of the block row that holds the event; null until sealed. */
  block: number | null;
}

export interface NodesTable {
  id: string;
  token_id: string;
  token_name: string;
  profile: string;
  app_version: string;
  health: string;
  installed: string;
  telemetry: string;
  /** JSON array of digest mismatches (version, digest) found on the last heartbeat. */
  flagged: string;
  first_seen_at: string;
  last_seen_at: string;
  last_block: number;
  /** Hash of the last full report (token, channels, installed, flagged); migration 0007. */
  report_key: string;
}

/** One installed version of a node, as reported (migration 0007): what quorum counts. */
export interface NodeInstalledTable {
  node_id: string;
  model: string;
  version: string;
  digest: string;
}

export interface NodeChannelsTable {
  node_id: string;
  model: string;
  channel: string;
}

export interface FleetTransitionsTable {
  id: string;
  model: string;
  channel: string;
  kind: string;
  table_json: string;
  previous_json: string | null;
  proposed_at_block: number;
  usable_from_block: number | null;
  /** pending (awaiting quorum or its turn), scheduled (has usable_from_block), superseded, refused. */
  state: string;
  basis: string | null;
  reason: string;
  author: string;
  created_at: string;
  decided_at: string | null;
}

export interface ChainDatabase extends Omit<Database, 'audit_events'> {
  audit_events: ChainAuditEventsTable;
  blocks: BlocksTable;
  nodes: NodesTable;
  node_channels: NodeChannelsTable;
  node_installed: NodeInstalledTable;
  fleet_transitions: FleetTransitionsTable;
}

/** The same connection, seen with the tables of migration 0004. */
export function chainDb(db: Kysely<Database> | Transaction<Database>): Kysely<ChainDatabase> {
  return db as unknown as Kysely<ChainDatabase>;
}
