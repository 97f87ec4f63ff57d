import { z } from 'zod';

/**
 * A model's policy: which channels are protected, which gates each requires (with parameters)
 * and how many approvals. One zod source: it validates YAML on write (server), documents the API and types the
 * client.
 */
const DatasetRef = z.string().regex(/^[a-z0-9][a-z0-9._-]*@[0-9A-Za-z.+-]+$/, 'dataset as NAME@VERSION, e.g. adult-test@1');
const Metric = z.string().min(1).max(64);
const Ms = z.number().int().positive().max(3_600_000);

export const GateSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('integrity') }),
  z.strictObject({ type: z.literal('schema') }),
  z.strictObject({ type: z.literal('dependencies') }),
  z.strictObject({
    type: z.literal('metric'),
    metric: Metric,
    min: z.number().optional(),
    max: z.number().optional(),
    /** Evaluate on this dataset; without it the version's recorded metric is checked. */
    dataset: DatasetRef.optional(),
  }).refine((g) => g.min !== undefined || g.max !== undefined, 'a metric gate needs min or max'),
  z.strictObject({
    type: z.literal('regression'),
    metric: Metric.default('accuracy'),
    dataset: DatasetRef,
    /** Allowed drop (absolute, in metric units) before the gate may fail. */
    tolerance: z.number().min(0).default(0),
    alpha: z.number().gt(0).lt(1).default(0.05),
    resamples: z.number().int().min(100).max(20_000).default(1000),
    seed: z.number().int().default(42),
  }),
  z.strictObject({
    type: z.literal('fairness'),
    dataset: DatasetRef,
    /** Sensitive columns to check; default every sensitive column of the dataset. */
    columns: z.array(z.string()).optional(),
    minDemographicParityRatio: z.number().min(0).max(1).default(0.8),
    maxEqualizedOddsDifference: z.number().min(0).max(1).optional(),
    /** Groups smaller than this are left out of the comparison (and reported). */
    minGroupSize: z.number().int().min(1).default(30),
  }),
  z.strictObject({
    type: z.literal('size'),
    maxBytes: z.number().int().positive(),
    /** Files under `<variant>/`; default: every file of the version. */
    variant: z.string().optional(),
    platform: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('latency'),
    dataset: DatasetRef,
    p95Ms: z.number().positive(),
    rows: z.number().int().positive().max(100_000).default(1000),
    batchSize: z.number().int().positive().default(1),
    platform: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('command'),
    name: z.string().optional(),
    run: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    dataset: DatasetRef.optional(),
    timeoutMs: Ms.default(60_000),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    name: z.string().optional(),
    url: z.url(),
    /** Server environment variable holding the HMAC secret (secrets never live in the policy). */
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
    timeoutMs: Ms.default(10_000),
    retries: z.number().int().min(0).max(10).default(2),
  }),
]);

export const ChannelPolicySchema = z.strictObject({
  approvals: z.number().int().min(0).max(20).default(0),
  gates: z.array(GateSpecSchema).max(50).default([]),
});

export const PolicySchema = z
  .strictObject({ channels: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'channel names use a-z 0-9 . _ -'), ChannelPolicySchema).default({}) })
  .meta({ id: 'Policy' });

export type GateSpec = z.infer<typeof GateSpecSchema>;
export type ChannelPolicy = z.infer<typeof ChannelPolicySchema>;
export type Policy = z.infer<typeof PolicySchema>;


export const PolicyRecordSchema = z
  .object({
    model: z.string(),
    /** The YAML as written. */
    yaml: z.string(),
    /** As the server normalized it (defaults filled in). */
    policy: PolicySchema,
    digest: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: 'PolicyRecord' });
export type PolicyRecord = z.infer<typeof PolicyRecordSchema>;

export const PolicySetSchema = z.strictObject({ yaml: z.string().max(64 * 1024) });
