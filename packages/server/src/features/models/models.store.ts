import type { Model } from '@steward/core/api';
import type { Page } from '../../lib/cursor.ts';
import type { AuditEntry } from '../audit/audit.ts';

export type { Model } from '@steward/core/api';

export interface ModelRow {
  id: string;
  name: string;
}

export interface ModelPatch {
  description?: string;
  tags?: Record<string, string>;
  archivedAt?: string | null;
}

export interface ModelStore {
  create(m: { name: string; description: string; tags: Record<string, string> }, at: string, audit: AuditEntry): Promise<Model>;
  /** Id and name only; for other features that key rows by model. */
  findRow(name: string): Promise<ModelRow | undefined>;
  get(name: string): Promise<Model | undefined>;
  list(opts: { includeArchived: boolean; limit: number; after?: string }): Promise<Page<Model>>;
  update(name: string, patch: ModelPatch, at: string, audit: AuditEntry): Promise<Model | undefined>;
}
