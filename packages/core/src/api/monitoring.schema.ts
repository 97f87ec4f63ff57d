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

/**
 * Analysis answers. Figures without data are NaN in the server and `null` on the wire (JSON has
 * no NaN), hence the nullable numbers.
 */
const Num = z.number().nullable();
const Range = { since: z.string(), until: z.string() };

/** The flat metrics of one window (see docs/monitoring.md for each name). */
export const WindowMetricsSchema = z
  .object({
    count: z.number(), errors: z.number(), errorRate: Num,
    latencyMeanMs: Num, latencyP50Ms: Num, latencyP95Ms: Num, latencyP99Ms: Num,
    positiveRate: Num, meanScore: Num, labelled: z.number(),
    accuracy: Num, precision: Num, recall: Num, f1: Num, logLoss: Num,
    estimatedAccuracy: Num, estimatedF1: Num, estimatedRocAuc: Num,
    /** Streaming detector alarms in the window, by detector (`ddm`, `adwin`, `page_hinkley`…). */
    alarms: z.record(z.string(), z.number()),
  })
  .meta({ id: 'WindowMetrics' });

export const WindowViewSchema = z
  .object({ model: z.string(), version: z.string(), start: z.string(), end: z.string(), metrics: WindowMetricsSchema })
  .meta({ id: 'WindowView' });
export type WindowView = z.infer<typeof WindowViewSchema>;

export const MonitorQuerySchema = RangeQuerySchema.extend({
  version: z.string().max(128).optional(),
  window: z.enum(['1m', '1h', '1d']).optional(),
});
export type MonitorQuery = z.input<typeof MonitorQuerySchema>;

export const DriftMethodSchema = z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi']);

export const ColumnDriftSchema = z
  .object({
    name: z.string(),
    method: DriftMethodSchema,
    /** Test statistic (D, χ², z) or, for distance methods, the distance. */
    statistic: Num,
    pValue: Num,
    /** After the run's multiple-testing correction; null for distance methods. */
    adjustedPValue: Num,
    effectSize: Num,
    threshold: z.number(),
    drifted: z.boolean(),
    nUnique: z.number(),
    referenceRows: z.number(),
    currentRows: z.number(),
  })
  .meta({ id: 'ColumnDrift' });

export const DriftReportSchema = z
  .object({
    model: z.string(), version: z.string(), ...Range, rows: z.number(),
    columns: z.array(ColumnDriftSchema),
    driftedColumns: z.number(),
    share: Num,
    /** share >= driftShare. */
    drifted: z.boolean(),
    driftShare: z.number(),
    correction: z.enum(['none', 'bonferroni', 'benjamini-hochberg']),
    /** PSI on the reference's frozen decile bins, numeric columns only. */
    psi: z.record(z.string(), Num),
    /** Reference columns the range has no rows for. */
    missingColumns: z.array(z.string()),
  })
  .meta({ id: 'DriftReport' });
export type DriftReport = z.infer<typeof DriftReportSchema>;

export const ReferencePerformanceSchema = z
  .object({
    rows: z.number(), accuracy: Num, precision: Num, recall: Num, f1: Num, rocAuc: Num, logLoss: Num,
    /** Expected calibration error (10 equal bins). */
    ece: Num,
    calibrated: z.boolean(),
  })
  .meta({ id: 'ReferencePerformance' });

export const PerformanceReportSchema = z
  .object({
    model: z.string(), version: z.string(), ...Range, rows: z.number(),
    /** From the labels joined so far. */
    realized: z.object({ labelled: z.number(), accuracy: Num, precision: Num, recall: Num, f1: Num, logLoss: Num }),
    /** CBPE from the scores; trustworthy only when the reference shows calibrated scores. */
    estimated: z.object({ method: z.literal('cbpe'), rows: z.number(), accuracy: Num, f1: Num, rocAuc: Num, calibrated: z.boolean().nullable(), trustworthy: z.boolean() }),
    reference: ReferencePerformanceSchema.nullable(),
  })
  .meta({ id: 'PerformanceReport' });
export type PerformanceReport = z.infer<typeof PerformanceReportSchema>;

export const FairnessQuerySchema = RangeQuerySchema.extend({
  attr: z.string().min(1).max(128),
  /** Groups with fewer rows are shown but left out of the between-group figures. Default 30. */
  minGroupSize: z.coerce.number().int().min(1).optional(),
});
export type FairnessQuery = RangeQuery & { attr: string; minGroupSize?: number };

const IntervalSchema = z.object({ low: Num, high: Num });
export const FairnessOverTimeSchema = z
  .object({
    model: z.string(), version: z.string(), attribute: z.string(), ...Range, minGroupSize: z.number(),
    groups: z.array(z.object({
      group: z.string(), n: z.number(), labelled: z.number(),
      selectionRate: Num, truePositiveRate: Num, falsePositiveRate: Num,
      /** False when n < minGroupSize: shown, not compared. */
      included: z.boolean(),
    })),
    demographicParityDifference: Num,
    demographicParityRatio: Num,
    equalizedOddsDifference: Num,
    /** Poisson-bootstrap confidence intervals of the three between-group figures. */
    ci: z.object({ demographicParityDifference: IntervalSchema, demographicParityRatio: IntervalSchema, equalizedOddsDifference: IntervalSchema, level: z.number(), iterations: z.number() }),
  })
  .meta({ id: 'FairnessOverTime' });
export type FairnessOverTime = z.infer<typeof FairnessOverTimeSchema>;

/** What setting a reference answers. */
export const ReferenceSummarySchema = z
  .object({
    model: z.string(), version: z.string(), source: z.string(), createdAt: z.string(), rows: z.number(),
    columns: z.array(z.string()),
    performance: ReferencePerformanceSchema.nullable(),
  })
  .meta({ id: 'ReferenceSummary' });
export type ReferenceSummary = z.infer<typeof ReferenceSummarySchema>;

const KllSchema = z.object({ type: z.literal('kll'), k: z.number(), n: z.number(), min: Num, max: Num, levels: z.array(z.array(z.number())), rngState: z.number() });
const CategoricalCountsSchema = z.object({ capacity: z.number(), counts: z.record(z.string(), z.number()), other: z.number(), missing: z.number(), total: z.number() });
export const ReferenceColumnSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('numeric'), rows: z.number(), missing: z.number(), kll: KllSchema,
    moments: z.record(z.string(), Num),
    /** Frozen reference decile edges (deduplicated) for PSI. */
    edges: z.array(z.number()),
    /** Log-bucketed histogram: bucket key → count. */
    hist: z.record(z.string(), z.number()),
  }),
  z.object({ kind: z.literal('categorical'), rows: z.number(), counts: CategoricalCountsSchema }),
]);

/** A version's stored reference profile. */
export const ReferenceSchema = z
  .object({
    model: z.string(), version: z.string(), source: z.string(), createdAt: z.string(),
    profile: z.object({
      rows: z.number(),
      columns: z.record(z.string(), ReferenceColumnSchema),
      performance: ReferencePerformanceSchema.optional(),
      positiveRate: Num.optional(),
    }),
  })
  .meta({ id: 'Reference' });
export type Reference = z.infer<typeof ReferenceSchema>;

/** Options of `PUT …/reference` (CSV body): comma-separated `categorical`. */
export const ReferenceCsvQuerySchema = z.object({
  ...ReferenceOptionsSchema.pick({ label: true, positiveClass: true, score: true }).shape,
  categorical: z.string().max(16_384).optional(),
});
export type ReferenceCsvQuery = z.infer<typeof ReferenceCsvQuerySchema>;
