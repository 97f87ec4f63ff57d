import type { Selectable } from 'kysely';
import type { VersionsTable } from '../../db/schema.ts';
import { fromJson } from '../../lib/json-cols.ts';
import type { FileEntry, Relation, Version } from './versions.types.ts';

/** Maps a committed version row; drafts are `Draft`s and never leave the server as versions. */
export function toVersion(model: string, r: Selectable<VersionsTable>, files: FileEntry[]): Version {
  const manifest = fromJson<Version['manifest'] | null>(r.manifest, null);
  if (r.state !== 'committed' || !manifest || !r.signature || !r.key_id || !r.committed_at) {
    throw new Error(`version row ${r.id} (${model}@${r.version}) is not a signed, committed version`);
  }
  return {
    model,
    version: r.version,
    state: r.state,
    description: r.description,
    params: fromJson(r.params, {}),
    metrics: fromJson(r.metrics, {}),
    tags: fromJson(r.tags, {}),
    datasets: fromJson(r.datasets, []),
    inputSchema: fromJson(r.input_schema, null),
    outputSchema: fromJson(r.output_schema, null),
    dependencies: fromJson(r.dependencies, {}),
    parent: r.parent,
    relation: r.relation as Relation | null,
    author: r.author,
    createdAt: r.created_at,
    committedAt: r.committed_at,
    files: [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    manifest,
    signature: r.signature,
    keyId: r.key_id,
  };
}
