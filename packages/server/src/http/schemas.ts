import { z } from '@hono/zod-openapi';

/** Shared API shapes: these validate requests and generate /openapi.json. */
export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) })
  .openapi('Error');

const KEY = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.\-/:]+$/, 'keys use letters, digits and _ . - / :')
  .refine((k) => !['__proto__', 'constructor', 'prototype'].includes(k), 'reserved key name');
export const TagsSchema = z.record(KEY, z.string().max(256)).refine((t) => Object.keys(t).length <= 64, 'at most 64 tags');
export const TagsPatchSchema = z.record(KEY, z.string().max(256).nullable()).refine((t) => Object.keys(t).length <= 64, 'at most 64 tags');
export const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');

export const ModelSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    tags: z.record(z.string(), z.string()),
    archived: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
    latest: z.string().nullable(),
    versionCount: z.number(),
  })
  .openapi('Model');

export const FileEntrySchema = z.object({ path: z.string().min(1).max(1024), sha256: Sha256Schema, size: z.number().int().nonnegative() }).openapi('FileEntry');

const JSON_LIMIT = 256 * 1024;
const boundedJson = z.unknown().refine((v) => JSON.stringify(v ?? null).length <= JSON_LIMIT, `at most ${JSON_LIMIT} bytes of JSON`);

export const VersionInputSchema = z
  .strictObject({
    version: z.string().min(1).max(128),
    description: z.string().max(8192).optional(),
    params: z
      .record(KEY, z.union([z.string().max(1024), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()]))
      .refine((p) => Object.keys(p).length <= 256, 'at most 256 params')
      .optional(),
    metrics: z
      .record(KEY, z.number().refine(Number.isFinite, 'must be a finite number'))
      .refine((m) => Object.keys(m).length <= 256, 'at most 256 metrics')
      .optional(),
    tags: TagsSchema.optional(),
    datasets: z
      .array(z.strictObject({ name: z.string().min(1).max(128), sha256: Sha256Schema, size: z.number().int().nonnegative(), uploaded: z.boolean().optional() }))
      .max(64)
      .optional(),
    inputSchema: boundedJson.optional(),
    outputSchema: boundedJson.optional(),
    dependencies: z.record(z.string(), z.string().max(128)).refine((d) => Object.keys(d).length <= 64, 'at most 64 dependencies').optional(),
    parent: z.string().max(128).optional(),
    relation: z.enum(['retrain', 'finetune', 'online-update', 'quantize', 'distill']).optional(),
  })
  .openapi('VersionInput');

export const VersionSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    state: z.enum(['draft', 'committed']),
    description: z.string(),
    params: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.number()),
    tags: z.record(z.string(), z.string()),
    datasets: z.array(z.object({ name: z.string(), sha256: z.string(), size: z.number(), uploaded: z.boolean().optional() })),
    inputSchema: z.unknown(),
    outputSchema: z.unknown(),
    dependencies: z.record(z.string(), z.string()),
    parent: z.string().nullable(),
    relation: z.string().nullable(),
    author: z.string(),
    createdAt: z.string(),
    committedAt: z.string().nullable(),
    files: z.array(FileEntrySchema),
    manifest: z.unknown(),
    signature: z.string().nullable(),
    keyId: z.string().nullable(),
  })
  .openapi('Version');

export const DraftSchema = z.object({ id: z.string(), model: z.string(), version: z.string(), files: z.array(FileEntrySchema), expiresAt: z.string() }).openapi('Draft');

export const RoutingTableSchema = z.object({ stable: z.string() }).catchall(z.unknown()).openapi('RoutingTable');
export const ChannelSchema = z
  .object({ model: z.string(), name: z.string(), table: RoutingTableSchema, seq: z.number(), updatedAt: z.string(), updatedBy: z.string() })
  .openapi('Channel');
export const ChannelEventSchema = z
  .object({
    id: z.string(),
    seq: z.number(),
    model: z.string(),
    channel: z.string(),
    kind: z.enum(['set', 'rollback', 'rollout', 'transition']),
    from: RoutingTableSchema.nullable(),
    to: RoutingTableSchema,
    author: z.string(),
    reason: z.string(),
    at: z.string(),
  })
  .openapi('ChannelEvent');

export const pageOf = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const errorResponses = {
  400: { description: 'invalid input', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'missing or invalid token', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'role not allowed', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'not found', content: { 'application/json': { schema: ErrorSchema } } },
  409: { description: 'conflict', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

/** Model names arrive as one URL-encoded path segment (`acme%2Ffraud`). */
export const ModelParam = z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'acme%2Ffraud' }) });
