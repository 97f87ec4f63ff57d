/**
 * Table shapes as Kysely sees them. Portable across SQLite and PostgreSQL on purpose: ids are
 * application-generated text, times are ISO-8601 UTC text (lexicographic order = time order),
 * JSON is stored as text, booleans as 0/1.
 */
export interface ModelsTable {
  id: string;
  name: string;
  description: string;
  tags: string;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface VersionsTable {
  id: string;
  model_id: string;
  version: string;
  sort_key: string;
  prerelease: number;
  state: 'draft' | 'committed';
  description: string;
  params: string;
  metrics: string;
  tags: string;
  datasets: string;
  input_schema: string | null;
  output_schema: string | null;
  dependencies: string;
  parent: string | null;
  relation: string | null;
  author: string;
  created_at: string;
  committed_at: string | null;
  expires_at: string | null;
  manifest: string | null;
  signature: string | null;
  key_id: string | null;
}

export interface VersionFilesTable {
  version_id: string;
  path: string;
  sha256: string;
  size: number;
}

/** One row per metric, param and tag of a committed version, so filters use an index instead of parsing JSON. */
export interface VersionAttrsTable {
  version_id: string;
  model_id: string;
  kind: 'metric' | 'param' | 'tag';
  key: string;
  num_value: number | null;
  str_value: string | null;
}

export interface BlobsTable {
  sha256: string;
  size: number;
  created_at: string;
}

export interface ChannelsTable {
  id: string;
  model_id: string;
  name: string;
  table_json: string;
  seq: number;
  updated_at: string;
  updated_by: string;
}

export interface ChannelEventsTable {
  id: string;
  model_id: string;
  channel: string;
  seq: number;
  kind: string;
  from_json: string | null;
  to_json: string;
  author: string;
  reason: string;
  at: string;
}

export interface TokensTable {
  id: string;
  name: string;
  role: string;
  hash: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface AuditEventsTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  models: ModelsTable;
  versions: VersionsTable;
  version_files: VersionFilesTable;
  version_attrs: VersionAttrsTable;
  blobs: BlobsTable;
  channels: ChannelsTable;
  channel_events: ChannelEventsTable;
  tokens: TokensTable;
  audit_events: AuditEventsTable;
  meta: MetaTable;
}
