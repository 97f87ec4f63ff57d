import { z } from 'zod';

/** When a client may fetch a version in the background. All conditions must hold. Core's routing uses this type too. */
export const DownloadConditionsSchema = z
  .strictObject({
    /** Only on an unmetered network (Wi-Fi, Ethernet). */
    unmeteredOnly: z.boolean().optional(),
    /** Only while charging. */
    chargingOnly: z.boolean().optional(),
    /** Only while the device is idle. */
    idleOnly: z.boolean().optional(),
    /** Largest download allowed, in bytes. */
    maxBytes: z.number().int().positive().optional(),
  })
  .meta({ id: 'DownloadConditions' });
export type DownloadConditions = z.infer<typeof DownloadConditionsSchema>;

export const ResolvedFileSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  size: z.number(),
  /** Server path of the file: `/api/v1/models/{name}/versions/{version}/files/{path}` (Range and ETag work); prefix the server origin. */
  url: z.string(),
});
export type ResolvedFile = z.infer<typeof ResolvedFileSchema>;

export const ResolutionSchema = z
  .object({
    model: z.string(),
    channel: z.string(),
    /** Channel event sequence the answer was computed from (changes whenever the table does). */
    seq: z.number(),
    version: z.string(),
    variant: z.string(),
    /** `stable`, `candidate`, or an A/B arm name (`a`, `b`). */
    arm: z.string(),
    files: z.array(ResolvedFileSchema),
    /** When the client may download in the background; null = no conditions. */
    download: DownloadConditionsSchema.nullable(),
    /** A critical change (security fix, forced rollback): download conditions do not apply. */
    critical: z.boolean(),
    rolloutId: z.string().nullable(),
    /** Shadow rollouts: also run this version on the request, discard its answer, report agreement. */
    shadow: z.object({ version: z.string(), variant: z.string(), files: z.array(ResolvedFileSchema) }).optional(),
  })
  .meta({ id: 'Resolution' });
export type Resolution = z.infer<typeof ResolutionSchema>;

/** Query of `GET /resolve`; custom attributes for step constraints travel as `attr.<name>=<value>`. */
export const ResolveQuerySchema = z
  .object({
    model: z.string().min(1).max(256),
    channel: z.string().min(1).max(128),
    unit: z.string().max(512).optional(),
    platform: z.string().max(64).optional(),
    os: z.string().max(64).optional(),
    appVersion: z.string().max(64).optional(),
    region: z.string().max(64).optional(),
  })
  .catchall(z.string().max(256).meta({ description: 'attr.<name>=<value>: custom attributes for step constraints' }));
