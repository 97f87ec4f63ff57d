/** The version shapes are the API's, defined once in `@steward/core/api`. */
export { RELATIONS } from '@steward/core/api';
export type { DatasetRef, Draft, FileEntry, Relation, Version, VersionInput } from '@steward/core/api';
