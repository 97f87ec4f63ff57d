import { assertModelName, NotFoundError } from '@steward/core';
import { decodeCursor } from '../../lib/cursor.ts';
import { iso, type Principal } from '../../lib/context.ts';
import type { Model, ModelStore } from './models.store.ts';

export function createModelService(deps: { modelStore: ModelStore; now: () => Date }) {
  const { modelStore, now } = deps;
  const notFound = (name: string) => new NotFoundError(`model "${name}" not found; create it with: steward model create ${name}`, { model: name }, 'model_not_found');

  return {
    async create(input: { name: string; description?: string; tags?: Record<string, string> }, by: Principal): Promise<Model> {
      assertModelName(input.name);
      return modelStore.create({ name: input.name, description: input.description ?? '', tags: input.tags ?? {} }, iso(now()), {
        actor: by.name,
        action: 'model.create',
        target: input.name,
      });
    },
    async get(name: string): Promise<Model> {
      assertModelName(name);
      const m = await modelStore.get(name);
      if (!m) throw notFound(name);
      return m;
    },
    list(opts: { archived?: boolean; limit?: number; cursor?: string }) {
      const after = decodeCursor(opts.cursor, (v): v is string => typeof v === 'string');
      return modelStore.list({ includeArchived: opts.archived ?? false, limit: Math.min(Math.max(opts.limit ?? 100, 1), 500), ...(after ? { after } : {}) });
    },
    /** Tags merge into the existing ones; a null value removes that key. */
    async update(name: string, patch: { description?: string; tags?: Record<string, string | null>; archived?: boolean }, by: Principal): Promise<Model> {
      const current = await this.get(name);
      let tags: Record<string, string> | undefined;
      if (patch.tags) {
        tags = { ...current.tags };
        for (const [k, v] of Object.entries(patch.tags)) if (v === null) delete tags[k]; else tags[k] = v;
      }
      const at = iso(now());
      const updated = await modelStore.update(
        name,
        {
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(tags ? { tags } : {}),
          // Archiving twice keeps the first archive time; archived: false clears it.
          ...(patch.archived === false ? { archivedAt: null } : patch.archived && !current.archived ? { archivedAt: at } : {}),
        },
        at,
        { actor: by.name, action: patch.archived ? 'model.archive' : 'model.update', target: name, details: patch },
      );
      if (!updated) throw notFound(name);
      return updated;
    },
  };
}

export type ModelService = ReturnType<typeof createModelService>;
