import type { VersionManifest } from '@steward/core';

export const RELATIONS = ['retrain', 'finetune', 'online-update', 'quantize', 'distill'] as const;
export type Relation = (typeof RELATIONS)[number];

export interface DatasetRef {
  name: string;
  sha256: string;
  size: number;
  uploaded?: boolean;
}

export interface VersionInput {
  version: string;
  description?: string;
  params?: Record<string, string | number | boolean>;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  datasets?: DatasetRef[];
  inputSchema?: unknown;
  outputSchema?: unknown;
  dependencies?: Record<string, string>;
  parent?: string;
  relation?: Relation;
}

export interface FileEntry {
  path: string;
  size: number;
  sha256: string;
}

export interface Version {
  model: string;
  version: string;
  state: 'draft' | 'committed';
  description: string;
  params: Record<string, string | number | boolean>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  datasets: DatasetRef[];
  inputSchema: unknown;
  outputSchema: unknown;
  dependencies: Record<string, string>;
  parent: string | null;
  relation: Relation | null;
  author: string;
  createdAt: string;
  committedAt: string | null;
  files: FileEntry[];
  manifest: VersionManifest | null;
  signature: string | null;
  keyId: string | null;
}

export interface Draft {
  id: string;
  model: string;
  version: string;
  files: FileEntry[];
  expiresAt: string;
}
