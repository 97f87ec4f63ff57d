/**
 * Shapes of the REST API (`/api/v1`, see docs/api.md). Most come from `@steward/core/api`, the
 * zod schemas the server validates with and builds /openapi.json from, so client and server
 * cannot drift. Times are ISO-8601 UTC strings; digests are lowercase hex SHA-256; sizes bytes.
 */

export type {
  Channel,
  ChannelAt,
  ChannelEvent,
  ChannelEventKind,
  Comparison,
  CreatedToken,
  DatasetRef,
  Draft,
  FileEntry,
  JsonValue,
  Manifest,
  Model,
  ModelCreate,
  ModelUpdate,
  Page,
  ParamValue,
  Relation,
  Role,
  RollbackRequest,
  RollbackResult,
  RoutingTable,
  SigningKey,
  Tags,
  TokenInfo,
  Version,
  VersionInput,
  VersionMetadata,
  VersionQuery,
  VersionUpdate,
  WhoAmI,
} from '@steward/core/api';

export interface BlobPutResult {
  sha256: string;
  size: number;
  created: boolean;
}
