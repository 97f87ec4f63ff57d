import { z } from 'zod';
import { TagsPatchSchema, TagsSchema } from './common.schema.ts';

export const ModelSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    tags: z.record(z.string(), z.string()),
    archived: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** Highest non-prerelease committed version, or null if none. */
    latest: z.string().nullable(),
    versionCount: z.number(),
  })
  .meta({ id: 'Model' });
export type Model = z.infer<typeof ModelSchema>;

export const ModelCreateSchema = z.strictObject({ name: z.string().min(1).max(128), description: z.string().max(8192).optional(), tags: TagsSchema.optional() });
export type ModelCreate = z.input<typeof ModelCreateSchema>;

/** Tags merge into the existing ones; a `null` value removes that key. */
export const ModelUpdateSchema = z.strictObject({ description: z.string().max(8192).optional(), tags: TagsPatchSchema.optional(), archived: z.boolean().optional() });
export type ModelUpdate = z.input<typeof ModelUpdateSchema>;
