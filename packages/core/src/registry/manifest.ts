import { canonicalJson } from './canonical-json.ts';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/** What a signature covers: files and core metadata. Description and tags stay editable, so they are left out. */
export interface VersionManifest {
  schema: 'steward.manifest/v1';
  model: string;
  version: string;
  files: ManifestFile[];
  params: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  datasets: { name: string; sha256: string; size: number }[];
  inputSchema: unknown;
  outputSchema: unknown;
  dependencies: Record<string, string>;
  parent: string | null;
  relation: string | null;
  author: string;
  committedAt: string;
}

export type ManifestInput = Omit<VersionManifest, 'schema'>;

/** Files sorted by path so the manifest does not depend on upload order. */
export function buildManifest(input: ManifestInput): VersionManifest {
  const files = [...input.files]
    .map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { schema: 'steward.manifest/v1', ...input, files, inputSchema: input.inputSchema ?? null, outputSchema: input.outputSchema ?? null };
}

/** The exact bytes that are signed: UTF-8 of the canonical JSON. */
export function manifestBytes(manifest: VersionManifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}
