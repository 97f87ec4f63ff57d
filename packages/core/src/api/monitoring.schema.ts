import { z } from 'zod';

export type WindowSize = '1m' | '1h' | '1d';

export const RangeQuerySchema = z.object({
  /** Duration before now (`30m`, `1h`, `7d`) or ISO time. Default `1d`. */
  since: z.string().max(64).optional().meta({ example: '1d', description: 'duration before now (30m, 1h, 7d) or ISO time; default 1d' }),
  until: z.string().max(64).optional(),
});
export type RangeQuery = z.input<typeof RangeQuerySchema>;

/** What `POST /events` accepted, and why the rest was not (every rejection counted by reason). */
export const IngestResultSchema = z
  .object({
    accepted: z.number(),
    rejected: z.number(),
    predictions: z.number(),
    feedback: z.number(),
    reasons: z.record(z.string(), z.number()),
    errors: z.array(z.object({ line: z.number(), code: z.string(), message: z.string() })),
  })
  .meta({ id: 'IngestResult' });
export type IngestResult = z.infer<typeof IngestResultSchema>;

export const ReferenceOptionsSchema = z.strictObject({
  label: z.string().max(128).optional(),
  positiveClass: z.string().max(128).optional(),
  score: z.string().max(128).optional(),
  categorical: z.array(z.string().max(128)).max(512).optional(),
  features: z.array(z.string().max(128)).max(512).optional(),
});
/** Build a version's reference profile from a dataset registered on it (by name or sha256). */
export const ReferenceRequestSchema = ReferenceOptionsSchema.extend({ dataset: z.string().min(1).max(128) });
export type ReferenceRequest = z.input<typeof ReferenceRequestSchema>;
