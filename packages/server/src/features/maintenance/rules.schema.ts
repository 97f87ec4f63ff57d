import { z } from '@hono/zod-openapi';
import { InvalidInputError } from '@steward/core';
import { parse as parseYaml } from 'yaml';
import { validationError } from '../../http/validation.ts';
import { parseCondition } from './condition.ts';

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const durationMs = (d: string): number => {
  const m = DURATION.exec(d);
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] as number) : Number.NaN;
};

const Condition = z.string().min(1).max(2048).superRefine((s, ctx) => {
  try {
    parseCondition(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** One maintenance rule (see docs/monitoring.md). */
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
  cooldown: z.string().regex(DURATION, 'durations look like 30s, 10m, 1h, 1d').default('1h'),
  do: z.enum(['rollback', 'pause-rollout', 'abort-rollout', 'notify', 'queue-labels', 'retrain']),
  webhook: z.url().optional(),
  /** HMAC key for webhooks: the name of an environment variable of the server holding it. */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  command: z.array(z.string().max(4096)).min(1).max(64).optional(),
  labels: z.strictObject({ count: z.number().int().min(1).max(10_000).default(50), method: z.enum(['entropy', 'margin', 'least-confidence']).default('entropy') }).optional(),
}).superRefine((r, ctx) => {
  if (r.do === 'notify' && !r.webhook) ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'notify needs a webhook URL' });
  if (r.do === 'retrain' && !r.webhook && !r.command) ctx.addIssue({ code: 'custom', path: ['command'], message: 'retrain needs a command or a webhook' });
});

export const RulesFileSchema = z.strictObject({ rules: z.array(RuleSchema).max(100) }).superRefine((f, ctx) => {
  const seen = new Set<string>();
  f.rules.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule name ${r.name}` });
    seen.add(r.name);
  });
});

export type Rule = z.infer<typeof RuleSchema>;
export type RulesFile = z.infer<typeof RulesFileSchema>;

/** YAML (or JSON, which is YAML) text → validated rules; errors name the offending path. */
export function parseRulesText(text: string): RulesFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new InvalidInputError(`rules file is not valid YAML: ${(e as Error).message.split('\n')[0]}`, {}, 'bad_rules');
  }
  const r = RulesFileSchema.safeParse(raw);
  if (!r.success) throw validationError(r.error, 'rules');
  return r.data;
}
