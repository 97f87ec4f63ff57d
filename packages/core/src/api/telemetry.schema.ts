import { z } from 'zod';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative().refine(Number.isFinite, 'must be finite');

/** Counters for one version over one window (at most 1 h), as agents report them. */
export const TelemetryWindowSchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    channel: z.string().max(128).optional(),
    version: z.string().min(1).max(128),
    variant: z.string().max(128).optional(),
    arm: z.string().max(128).optional(),
    /** ISO-8601. */
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    requests: count,
    errors: count,
    latencyMs: z.strictObject({ p50: ms.optional(), p90: ms.optional(), p95: ms.optional(), p99: ms.optional() }).optional(),
    /** `counts` has one entry per bound plus the overflow; merged exactly across windows. */
    latencyHistogram: z.strictObject({ boundsMs: z.array(ms).min(1).max(64), counts: z.array(count).min(2).max(65) }).optional(),
    /** Shadow rollouts: answers compared with the stable version, and how many agreed. */
    shadow: z.strictObject({ compared: count, agreed: count }).optional(),
    /** Custom counts (`conversions`), compared as rates in A/B tests. */
    counters: z.record(z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/), count).refine((c) => Object.keys(c).length <= 32, 'at most 32 counters').optional(),
  })
  .meta({ id: 'TelemetryWindow' });
export type TelemetryWindow = z.input<typeof TelemetryWindowSchema>;

export const TelemetryReportSchema = z.strictObject({ node: z.string().max(256).optional(), windows: z.array(TelemetryWindowSchema).min(1).max(500) }).meta({ id: 'TelemetryReport' });
export type TelemetryReport = z.input<typeof TelemetryReportSchema>;
