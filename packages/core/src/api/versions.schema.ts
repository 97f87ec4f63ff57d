import { z } from 'zod';
import { KeySchema, Sha256Schema, TagsPatchSchema, TagsSchema } from './common.schema.ts';

export const RELATIONS = ['retrain', 'finetune', 'online-update', 'quantize', 'distill'] as const;
export const RelationSchema = z.enum(RELATIONS);
export type Relation = z.infer<typeof RelationSchema>;
export type ParamValue = string | number | boolean;

const JSON_LIMIT = 256 * 1024;
const boundedJson = z.unknown().refine((v) => JSON.stringify(v ?? null).length <= JSON_LIMIT, `at most ${JSON_LIMIT} bytes of JSON`);

export const DatasetRefSchema = z.strictObject({
  name: z.string().min(1).max(128),
  sha256: Sha256Schema,
  size: z.number().int().nonnegative(),
  /** True when the dataset bytes were uploaded as a blob (otherwise only its digest is recorded). */
  uploaded: z.boolean().optional(),
});
export type DatasetRef = z.infer<typeof DatasetRefSchema>;

export const FileEntrySchema = z
  .object({
    /** Relative, `/`-separated path inside the version. */
    path: z.string().min(1).max(1024),
    sha256: Sha256Schema,
    size: z.number().int().nonnegative(),
  })
  .meta({ id: 'FileEntry' });
export type FileEntry = z.infer<typeof FileEntrySchema>;

export const VersionInputSchema = z
  .strictObject({
    /** Strict semver, e.g. `1.2.0` or `2.0.0-rc.1`. */
    version: z.string().min(1).max(128),
    description: z.string().max(8192).optional(),
    params: z
      .record(KeySchema, z.union([z.string().max(1024), z.number().refine(Number.isFinite, 'must be finite'), z.boolean()]))
      .refine((p) => Object.keys(p).length <= 256, 'at most 256 params')
      .optional(),
    metrics: z
      .record(KeySchema, z.number().refine(Number.isFinite, 'must be a finite number'))
      .refine((m) => Object.keys(m).length <= 256, 'at most 256 metrics')
      .optional(),
    tags: TagsSchema.optional(),
    datasets: z.array(DatasetRefSchema).max(64).optional(),
    inputSchema: boundedJson.optional(),
    outputSchema: boundedJson.optional(),
    /** `{ modelName: semverRange }`, checked at commit. */
    dependencies: z.record(z.string(), z.string().max(128)).refine((d) => Object.keys(d).length <= 64, 'at most 64 dependencies').optional(),
    parent: z.string().max(128).optional(),
    relation: RelationSchema.optional(),
  })
  .meta({ id: 'VersionInput' });
export type VersionInput = z.input<typeof VersionInputSchema>;
/** Everything of a VersionInput except the version number: what `pushVersion` calls metadata. */
export type VersionMetadata = Omit<VersionInput, 'version'>;

/**
 * The signed manifest (core's `VersionManifest`): what the signature covers. Description and tags
 * stay editable, so they are left out.
 */
export const ManifestSchema = z
  .object({
    schema: z.literal('steward.manifest/v1'),
    model: z.string(),
    version: z.string(),
    files: z.array(FileEntrySchema),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    metrics: z.record(z.string(), z.number()),
    datasets: z.array(z.object({ name: z.string(), sha256: z.string(), size: z.number() })),
    inputSchema: z.unknown(),
    outputSchema: z.unknown(),
    dependencies: z.record(z.string(), z.string()),
    parent: z.string().nullable(),
    relation: z.string().nullable(),
    author: z.string(),
    committedAt: z.string(),
  })
  .meta({ id: 'Manifest' });
export type Manifest = z.infer<typeof ManifestSchema>;

export const VersionSchema = z
  .object({
    model: z.string(),
    version: z.string(),
    /** The API only ever shows committed versions; drafts are `Draft`s. */
    state: z.literal('committed'),
    description: z.string(),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    metrics: z.record(z.string(), z.number()),
    tags: z.record(z.string(), z.string()),
    datasets: z.array(DatasetRefSchema),
    inputSchema: z.unknown(),
    outputSchema: z.unknown(),
    dependencies: z.record(z.string(), z.string()),
    parent: z.string().nullable(),
    relation: RelationSchema.nullable(),
    author: z.string(),
    createdAt: z.string(),
    committedAt: z.string(),
    files: z.array(FileEntrySchema),
    manifest: ManifestSchema,
    /** Base64 Ed25519 signature over the UTF-8 bytes of `canonicalJson(manifest)`. */
    signature: z.string(),
    keyId: z.string(),
  })
  .meta({ id: 'Version' });
export type Version = z.infer<typeof VersionSchema>;

export const VersionUpdateSchema = z.strictObject({ description: z.string().max(8192).optional(), tags: TagsPatchSchema.optional() });
export type VersionUpdate = z.input<typeof VersionUpdateSchema>;

export const DraftSchema = z
  .object({ id: z.string(), model: z.string(), version: z.string(), files: z.array(FileEntrySchema), expiresAt: z.string() })
  .meta({ id: 'Draft' });
export type Draft = z.infer<typeof DraftSchema>;

export const DraftFilesSchema = z.strictObject({ files: z.array(FileEntrySchema).min(1).max(10_000) });

const side = z.string().nullable();
/** Answer of `GET /models/{name}/compare?a&b`: differences from `a` to `b` (null = absent on that side). */
export const ComparisonSchema = z
  .object({
    a: z.string(),
    b: z.string(),
    /** Every metric key of either version; `delta = b - a` when both exist. */
    metrics: z.array(z.object({ key: z.string(), a: z.number().nullable(), b: z.number().nullable(), delta: z.number().nullable() })),
    /** Every param key of either version. */
    params: z.array(z.object({ key: z.string(), a: z.union([z.string(), z.number(), z.boolean()]).nullable(), b: z.union([z.string(), z.number(), z.boolean()]).nullable(), changed: z.boolean() })),
    /** Every path of either version; `a`/`b` are digests. */
    files: z.array(z.object({ path: z.string(), a: side, b: side, sizeA: z.number().nullable(), sizeB: z.number().nullable(), status: z.enum(['same', 'changed', 'added', 'removed']) })),
    schema: z.object({ inputChanged: z.boolean(), outputChanged: z.boolean() }),
    lineage: z.object({ parentOfA: side, parentOfB: side, relationOfB: side, bDescendsFromA: z.boolean(), path: z.array(z.string()) }),
  })
  .meta({ id: 'Comparison' });
export type Comparison = z.infer<typeof ComparisonSchema>;

export const VersionListQuerySchema = z.object({
  /** Semver range, e.g. `^1.0`. */
  range: z.string().max(256).optional(),
  /** e.g. `metrics.f1>=0.92 and tags.team=risk`. */
  filter: z.string().max(2048).optional(),
  createdAfter: z.iso.datetime().optional(),
  createdBefore: z.iso.datetime().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(512).optional(),
});
/** Query of `GET /models/{name}/versions` as a caller writes it. */
export type VersionQuery = Omit<z.input<typeof VersionListQuerySchema>, 'limit'> & { limit?: number };
