import { z } from 'zod';
import type { Constraint } from '../routing/types.ts';
import { RoutingTableSchema } from './channels.schema.ts';
import { DownloadConditionsSchema } from './resolve.schema.ts';

export const STRATEGIES = ['immediate', 'canary', 'ab', 'shadow', 'blue-green', 'scheduled'] as const;
export const StrategySchema = z.enum(STRATEGIES);
export type RolloutStrategy = z.infer<typeof StrategySchema>;

/** scheduled → running ⇄ paused → succeeded | aborted | failed. The first three are "active". */
export const RolloutStateSchema = z.enum(['scheduled', 'running', 'paused', 'succeeded', 'aborted', 'failed']);
export type RolloutState = z.infer<typeof RolloutStateSchema>;

/** `30s`, `5m`, or milliseconds. */
const Duration = z.union([z.string().max(32), z.number().int().positive()]);

/** An analysis: conditions over reported metrics, measured `count` times every `interval`. */
export const AnalysisSchema = z
  .strictObject({
    /** e.g. `errorRate < 0.01 and latencyP95 <= stable.latencyP95 * 1.2 and requests >= 500` */
    successCondition: z.string().max(2048).optional(),
    /** e.g. `errorRate > 0.05` */
    failureCondition: z.string().max(2048).optional(),
    failureLimit: z.number().int().nonnegative().optional(),
    interval: Duration,
    count: z.number().int().positive().max(1000).optional(),
  })
  .meta({ id: 'Analysis' });
export type RolloutAnalysis = z.input<typeof AnalysisSchema>;

export const StepInputSchema = z.union([
  z.strictObject({ weight: z.number() }),
  /** Without a duration: until `steward rollout resume`. */
  z.strictObject({ pause: z.union([Duration, z.null(), z.strictObject({ duration: Duration.optional() })]).optional() }),
  z.strictObject({ analysis: AnalysisSchema }),
]);
export type RolloutStepInput = z.input<typeof StepInputSchema>;

export const StartRolloutSchema = z
  .strictObject({
    version: z.string().min(1).max(128),
    strategy: StrategySchema.optional(),
    /** Canary steps; weights are percentages. */
    steps: z.array(StepInputSchema).max(100).optional(),
    analysis: AnalysisSchema.optional(),
    // Shape and operators are checked by core's validateRoutingTable, which names the bad field.
    constraints: z.array(z.record(z.string(), z.unknown())).max(32).optional(),
    variant: z.string().max(128).optional(),
    platformVariants: z.record(z.string().max(64), z.string().max(128)).optional(),
    download: z.record(z.string().max(64), DownloadConditionsSchema).optional(),
    critical: z.boolean().optional(),
    /** A/B: `[a, b]` percentages summing to 100. */
    split: z.array(z.number()).optional(),
    /** shadow: percentage of requests mirrored. */
    shadowPercent: z.number().optional(),
    at: z.strictObject({ block: z.number().int().nonnegative().optional(), time: z.string().max(64).optional() }).optional(),
    /** ISO time or duration from now (`2h`); a rollout still active after it is flagged overdue. */
    deadline: z.string().max(64).optional(),
    reason: z.string().max(2048).optional(),
  })
  .meta({ id: 'StartRollout' });
/** Step constraints are core's `Constraint`s (the schema leaves their check to validateRoutingTable). */
export type StartRollout = Omit<z.input<typeof StartRolloutSchema>, 'constraints'> & { constraints?: Constraint[] };
export type RolloutConstraint = Constraint;

const Measurement = z.object({ at: z.string(), outcome: z.enum(['success', 'failure', 'inconclusive']), values: z.record(z.string(), z.number().nullable()) });

export const RolloutSchema = z
  .object({
    id: z.string(),
    model: z.string(),
    channel: z.string(),
    state: RolloutStateSchema,
    strategy: StrategySchema,
    version: z.string(),
    previousTable: RoutingTableSchema,
    /** The table this rollout wants the channel to have now. */
    table: RoutingTableSchema,
    stepIndex: z.number(),
    stepStartedAt: z.string(),
    /** Progress of the analysis of the current step. */
    analysis: z.object({ measurements: z.array(Measurement), failures: z.number(), inconclusive: z.number() }),
    message: z.string(),
    pausedReason: z.string().nullable(),
    critical: z.boolean(),
    deadline: z.string().nullable(),
    overdue: z.boolean(),
    revision: z.number(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Rollout' });
export type Rollout = z.infer<typeof RolloutSchema>;

const Arm = z.object({ version: z.string(), successes: z.number(), trials: z.number() });
export const AbComparisonSchema = z.object({
  /** `errorRate` or `rate.<counter>`: a proportion of requests. */
  metric: z.string(),
  a: Arm,
  b: Arm,
  /** Two-proportion z-test: proportions, effect with its 95 % interval, lift, Cohen's h, z and p. */
  test: z
    .object({ pA: z.number(), pB: z.number(), diff: z.number(), ci95: z.tuple([z.number(), z.number()]), lift: z.number().nullable(), cohensH: z.number(), z: z.number(), pValue: z.number() })
    .nullable(),
});
export type AbComparison = z.infer<typeof AbComparisonSchema>;

/** What status returns: the rollout with its plan, live metrics and (A/B) statistics. */
export const RolloutViewSchema = RolloutSchema.extend({
  active: z.boolean(),
  steps: z.array(z.object({ index: z.number(), description: z.string(), status: z.enum(['done', 'current', 'pending']) })),
  /** Telemetry since the current step began: the new version and the one it replaces. */
  metrics: z.object({ since: z.string(), candidate: z.record(z.string(), z.number()), stable: z.record(z.string(), z.number()) }),
  ab: z.array(AbComparisonSchema).optional(),
}).meta({ id: 'RolloutView' });
export type RolloutView = z.infer<typeof RolloutViewSchema>;

export const RolloutActionSchema = z.strictObject({ reason: z.string().max(2048).optional() });
