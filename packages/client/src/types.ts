/**
 * Shapes of the REST API (`/api/v1`, see docs/api.md). Times are ISO-8601 UTC strings; digests
 * are lowercase hex SHA-256; sizes are bytes.
 */

export type Tags = Record<string, string>;

/** One page of a cursor-paginated list. `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Model {
  name: string;
  description: string;
  tags: Tags;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  /** Highest non-prerelease committed version, or null if none. */
  latest: string | null;
  versionCount: number;
}

export interface ModelCreate {
  name: string;
  description?: string;
  tags?: Tags;
}

/** Tags merge into the existing ones; a `null` value removes that key. */
export interface ModelUpdate {
  description?: string;
  tags?: Record<string, string | null>;
  archived?: boolean;
}

export type Relation = 'retrain' | 'finetune' | 'online-update' | 'quantize' | 'distill';
export type ParamValue = string | number | boolean;
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface DatasetRef {
  name: string;
  sha256: string;
  size: number;
  /** True when the dataset bytes were uploaded as a blob (otherwise only its digest is recorded). */
  uploaded?: boolean;
}

export interface VersionInput {
  /** Strict semver, e.g. `1.2.0` or `2.0.0-rc.1`. */
  version: string;
  description?: string;
  params?: Record<string, ParamValue>;
  metrics?: Record<string, number>;
  tags?: Tags;
  datasets?: DatasetRef[];
  inputSchema?: JsonValue;
  outputSchema?: JsonValue;
  /** `{ modelName: semverRange }`, checked at commit. */
  dependencies?: Record<string, string>;
  parent?: string;
  relation?: Relation;
}

/** Everything of a VersionInput except the version number: what `pushVersion` calls metadata. */
export type VersionMetadata = Omit<VersionInput, 'version'>;

export interface FileEntry {
  /** Relative, `/`-separated path inside the version. */
  path: string;
  size: number;
  sha256: string;
}

export interface Draft {
  id: string;
  version: string;
  files: FileEntry[];
  expiresAt: string;
}

/**
 * The signed manifest. The client relies on `model`, `version` and `files`; other members are
 * covered by the signature too and passed through untouched.
 */
export interface Manifest {
  model: string;
  version: string;
  files: FileEntry[];
  [k: string]: unknown;
}

export interface Version extends VersionInput {
  model: string;
  state: 'committed';
  author: string;
  createdAt: string;
  committedAt: string;
  files: FileEntry[];
  manifest: Manifest;
  /** Base64 Ed25519 signature over the UTF-8 bytes of `canonicalJson(manifest)`. */
  signature: string;
  keyId: string;
}

export interface VersionUpdate {
  description?: string;
  tags?: Record<string, string | null>;
}

export interface VersionQuery {
  /** Semver range, e.g. `^1.0`. */
  range?: string;
  /** e.g. `metrics.f1>=0.92 and tags.team=risk`. */
  filter?: string;
  createdAfter?: string;
  createdBefore?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

/** Answer of `GET /models/{name}/compare?a&b`: differences from `a` to `b` (null = absent on that side). */
export interface Comparison {
  a: string;
  b: string;
  /** Every metric key of either version; `delta = b - a` when both exist. */
  metrics: { key: string; a: number | null; b: number | null; delta: number | null }[];
  /** Every param key of either version. */
  params: { key: string; a: ParamValue | null; b: ParamValue | null; changed: boolean }[];
  /** Every path of either version; `a`/`b` are digests. */
  files: { path: string; a: string | null; b: string | null; sizeA: number | null; sizeB: number | null; status: 'same' | 'changed' | 'added' | 'removed' }[];
  schema: { inputChanged: boolean; outputChanged: boolean };
  lineage: { parentOfA: string | null; parentOfB: string | null; relationOfB: string | null; bDescendsFromA: boolean; path: string[] };
}

/** Which version a channel serves. Candidates and overrides arrive with rollouts. */
export interface RoutingTable {
  stable: string;
  [k: string]: unknown;
}

export interface Channel {
  model: string;
  name: string;
  table: RoutingTable;
  seq: number;
  updatedAt: string;
  updatedBy: string;
}

export interface ChannelEvent {
  id: string;
  seq: number;
  model: string;
  channel: string;
  kind: 'set' | 'rollback';
  from: RoutingTable | null;
  to: RoutingTable;
  author: string;
  reason: string;
  at: string;
}

export interface ChannelAt {
  table: RoutingTable;
  event: ChannelEvent;
}

export interface RollbackRequest {
  /** Target version; omitted = the stable version before the current one. */
  to?: string;
  reason?: string;
  /** Report what would happen without changing anything. */
  dryRun?: boolean;
  /** Admin override of a protected channel's gates; needs `reason`, recorded in the audit log. */
  force?: boolean;
}

export interface RollbackResult {
  /** The table before / after (dry run: what it would be). */
  from: RoutingTable;
  to: RoutingTable;
  applied: boolean;
  event?: ChannelEvent;
}

export type Role = 'viewer' | 'publisher' | 'approver' | 'admin' | 'node';

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Only the creation answer carries the secret; it is never shown again. */
export interface CreatedToken {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  token: string;
}

export interface WhoAmI {
  id: string;
  name: string;
  role: Role;
}

export interface SigningKey {
  keyId: string;
  /** Ed25519 public key, SPKI PEM. */
  publicKey: string;
  algorithm?: 'ed25519';
}

export interface BlobPutResult {
  sha256: string;
  size: number;
  created: boolean;
}
