import { z } from 'zod';
import { parseCondition } from '../maintenance/condition.ts';
import { parseDurationMs } from '../time/duration.ts';

/** A duration in core's grammar with its unit (`30s`, `10m`, `1h`, `1d`). */
const Duration = z.string().max(32).refine((d) => parseDurationMs(d) !== undefined, 'durations look like 30s, 10m, 1h, 1d');

const Condition = z.string().min(1).max(2048).superRefine((s, ctx) => {
  try {
    parseCondition(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

export const RuleActionSchema = z.enum(['rollback', 'pause-rollout', 'abort-rollout', 'notify', 'queue-labels', 'retrain']);

/** One maintenance rule (docs/monitoring.md, "Maintenance rules"). */
export const RuleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'rule names use a-z 0-9 . _ -'),
  channel: z.string().min(1).max(128).default('production'),
  window: z.enum(['1m', '1h', '1d']).default('1m'),
  when: Condition,
  for: z.number().int().min(1).max(1000).default(1),
  /** Windows with fewer rows neither fire nor clear the rule. */
  minCount: z.number().int().min(0).default(1),
  /** Hysteresis: once fired, the rule re-arms only after this holds on a window (default: `not (when)`). */
  clear: Condition.optional(),
  cooldown: Duration.default('1h'),
  do: RuleActionSchema,
  webhook: z.url().optional(),
  /** HMAC key for webhooks: the name of an environment variable of the server holding it. */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  command: z.array(z.string().max(4096)).min(1).max(64).optional(),
  labels: z.strictObject({ count: z.number().int().min(1).max(10_000).default(50), method: z.enum(['entropy', 'margin', 'least-confidence']).default('entropy') }).optional(),
}).superRefine((r, ctx) => {
  if (r.do === 'notify' && !r.webhook) ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'notify needs a webhook URL' });
  if (r.do === 'retrain' && !r.webhook && !r.command) ctx.addIssue({ code: 'custom', path: ['command'], message: 'retrain needs a command or a webhook' });
}).meta({ id: 'Rule' });
export type Rule = z.infer<typeof RuleSchema>;

export const RulesFileSchema = z.strictObject({ rules: z.array(RuleSchema).max(100) }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.rules.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${r.name}` });
    seen.add(r.name);
  });
});
export type RulesFile = z.infer<typeof RulesFileSchema>;

export const RuleStateSchema = z.object({ active: z.boolean(), lastFiredAt: z.string().nullable() });
export type RuleState = z.infer<typeof RuleStateSchema>;

/** A model's rules as stored: the parsed rules with defaults filled in, the source text, and each rule's state. */
export const RulesViewSchema = z
  .object({
    model: z.string(),
    rules: z.array(RuleSchema),
    source: z.string(),
    updatedAt: z.string().nullable(),
    updatedBy: z.string().nullable(),
    state: z.record(z.string(), RuleStateSchema),
  })
  .meta({ id: 'RulesView' });
export type RulesView = z.infer<typeof RulesViewSchema>;

export const RuleOutcomeSchema = z
  .object({
    rule: z.string(),
    version: z.string().nullable(),
    evaluatedWindows: z.array(z.string()),
    fired: z.boolean(),
    cleared: z.boolean(),
    /** Why the rule was not evaluated (no version in force, cooldown, too few rows…). */
    skipped: z.string().optional(),
    /** What the action did (rollback target, delivery id, queued rows…). */
    result: z.unknown().optional(),
  })
  .meta({ id: 'RuleOutcome' });
export type RuleOutcome = z.infer<typeof RuleOutcomeSchema>;

export const RulesEvaluationSchema = z.object({ model: z.string(), outcomes: z.array(RuleOutcomeSchema) }).meta({ id: 'RulesEvaluation' });

/** One webhook delivery (notify and retrain rules), with its retries. */
export const DeliverySchema = z
  .object({
    id: z.string(),
    rule: z.string(),
    url: z.string(),
    status: z.string(),
    attempts: z.number(),
    lastError: z.string().nullable(),
    payload: z.unknown(),
    at: z.string(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof DeliverySchema>;

export const LabelStatusSchema = z.enum(['queued', 'labelled']);
export type LabelStatus = z.infer<typeof LabelStatusSchema>;
export const LabelQueueQuerySchema = z.object({ status: LabelStatusSchema.optional(), limit: z.coerce.number().int().min(1).max(10_000).optional() });

/** A row queued for labelling by a `queue-labels` rule, most uncertain first. */
export const QueuedLabelSchema = z
  .object({
    id: z.string(),
    version: z.string(),
    requestId: z.string(),
    uncertainty: z.number(),
    rule: z.string(),
    status: LabelStatusSchema,
    createdAt: z.string(),
    row: z.object({
      requestId: z.string(),
      time: z.string(),
      features: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
      score: z.number().optional(),
      probabilities: z.record(z.string(), z.number()).optional(),
      prediction: z.union([z.string(), z.number(), z.null()]).optional(),
    }),
  })
  .meta({ id: 'QueuedLabel' });
export type QueuedLabel = z.infer<typeof QueuedLabelSchema>;

/** Imported labels become feedback events, joined like any other. */
export const LabelImportSchema = z.strictObject({
  labels: z.array(z.strictObject({ requestId: z.string().min(1).max(256), label: z.union([z.literal(0), z.literal(1), z.boolean()]) })).max(50_000),
});
export type LabelImport = z.infer<typeof LabelImportSchema>;
