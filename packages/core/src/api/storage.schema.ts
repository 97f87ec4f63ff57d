import { z } from 'zod';
import { Sha256Schema } from './common.schema.ts';
import { MAX_RECIPE_BATCH_IDS, MAX_RECIPE_QUERY_DIGESTS, MAX_RECIPES_PER_BATCH } from '../chunking/frame-format.ts';

/** `GET /storage/stats`: bytes as users see them vs bytes the store holds. */
export const StorageStatsSchema = z
  .object({
    /** Sum of blob sizes (per model: of its committed versions' files, repeats counted). */
    logicalBytes: z.number(),
    /** Bytes in packs (per model: stored bytes of the distinct chunks its files use). */
    storedBytes: z.number(),
    /** logicalBytes / storedBytes (1 when nothing is stored). */
    dedupRatio: z.number(),
    chunks: z.number(),
    packs: z.number(),
    blobs: z.number(),
    /** Whole-store stats only: free space on each local disk the server writes to (none on S3 with PostgreSQL), and the reserve uploads leave there. */
    disk: z
      .object({
        minFreeBytes: z.number(),
        places: z.array(z.object({ place: z.string(), freeBytes: z.number().nullable() })),
      })
      .optional(),
  })
  .meta({ id: 'StorageStats' });
export type StorageStats = z.infer<typeof StorageStatsSchema>;

export const GcOptionsSchema = z.strictObject({
  /** Only data untouched this long is swept (default 3600 s). Must exceed your longest push. */
  graceSeconds: z.number().min(0).max(365 * 24 * 3600).optional(),
  /** Rewrite packs whose live share (live stored bytes / pack size) is below this (0..1, default 0.5). */
  repackBelow: z.number().min(0).max(1).optional(),
  /** Report what would be removed, remove nothing. */
  dryRun: z.boolean().optional(),
});
export type GcOptions = z.input<typeof GcOptionsSchema>;

export const GcReportSchema = z
  .object({
    deletedChunks: z.number(),
    deletedBlobs: z.number(),
    /** Mostly-dead packs rewritten with only their live chunks. */
    repackedPacks: z.number(),
    /** Small packs (under a quarter of the target pack size) merged into bigger ones. */
    mergedPacks: z.number(),
    /** Packs removed: empty, repacked or merged ones, and orphan objects of crashed writes. */
    deletedPacks: z.number(),
    freedBytes: z.number(),
  })
  .meta({ id: 'GcReport' });
export type GcReport = z.infer<typeof GcReportSchema>;

export const FsckProblemSchema = z.object({ kind: z.string(), id: z.string(), message: z.string() });
export type FsckProblem = z.infer<typeof FsckProblemSchema>;
export const FsckReportSchema = z
  .object({
    /** False when any problem was found. */
    ok: z.boolean(),
    checked: z.object({ chunks: z.number(), packs: z.number(), blobs: z.number(), versions: z.number() }),
    problems: z.array(FsckProblemSchema),
  })
  .meta({ id: 'FsckReport' });
export type FsckReport = z.infer<typeof FsckReportSchema>;

/** A file as its content-defined chunks, in order (`GET /blobs/{sha256}/recipe`). */
export const BlobRecipeSchema = z
  .object({
    sha256: z.string(),
    /** Bytes of the whole file. */
    size: z.number(),
    chunks: z.array(z.object({ id: z.string(), size: z.number() })),
  })
  .meta({ id: 'BlobRecipe' });
export type BlobRecipe = z.infer<typeof BlobRecipeSchema>;

/**
 * `PUT /blobs/{sha256}/recipe`'s answer. `pending` (HTTP 202) when `?wait` ran out before the
 * check was done (ask again to keep waiting); `hashedBytes` is then how much of the file the
 * server has hashed so far, in order.
 */
export const PutRecipeResultSchema = z
  .object({ sha256: z.string(), size: z.number(), created: z.boolean(), pending: z.literal(true).optional(), hashedBytes: z.number().optional() })
  .meta({ id: 'PutRecipeResult' });
export type PutRecipeResult = z.infer<typeof PutRecipeResultSchema>;

/** `POST /blobs/recipes`: several blobs declared by their recipes at once; every chunk must be stored. */
export const PutRecipesInputSchema = z
  .strictObject({
    recipes: z
      .array(z.strictObject({ sha256: Sha256Schema, size: z.number().int().nonnegative(), chunks: z.array(Sha256Schema).max(MAX_RECIPE_BATCH_IDS) }))
      .min(1)
      .max(MAX_RECIPES_PER_BATCH),
  })
  .meta({ id: 'PutRecipesInput' });
export type PutRecipesInput = z.infer<typeof PutRecipesInputSchema>;

/** `POST /blobs/recipes`' answer: one result per recipe, in request order (`created: false` for a blob stored already). */
export const PutRecipesResultSchema = z
  .object({ results: z.array(z.object({ sha256: z.string(), size: z.number(), created: z.boolean() })) })
  .meta({ id: 'PutRecipesResult' });
export type PutRecipesResult = z.infer<typeof PutRecipesResultSchema>;

/** `POST /blobs/recipes/query`: the recipes of several blobs (a pull's small files) in one request. */
export const RecipeQueryInputSchema = z.strictObject({ sha256s: z.array(Sha256Schema).min(1).max(MAX_RECIPE_QUERY_DIGESTS) }).meta({ id: 'RecipeQueryInput' });

/** Its answer, in request order: a blob's recipe, or null for a blob not stored or stored whole (before chunked storage). */
export const RecipeQueryResultSchema = z.object({ recipes: z.array(BlobRecipeSchema.nullable()) }).meta({ id: 'RecipeQueryResult' });
export type RecipeQueryResult = z.infer<typeof RecipeQueryResultSchema>;

export const ChunkUploadResultSchema = z.object({ stored: z.number(), skipped: z.number(), bytes: z.number() }).meta({ id: 'ChunkUploadResult' });
export type ChunkUploadResult = z.infer<typeof ChunkUploadResultSchema>;

export const ChunkIdsSchema = (max: number) => z.strictObject({ ids: z.array(Sha256Schema).max(max) });
