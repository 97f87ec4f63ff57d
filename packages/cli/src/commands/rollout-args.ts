import type { RolloutAnalysis, RolloutConstraint, RolloutStepInput } from '@steward/client';
import { UsageError } from '../args.ts';

/** `--steps 10,25,50,100 --pause 10m` → weight 10, pause 10m, weight 25, pause 10m, … weight 100. */
export function parseSteps(steps: string, pause: string | undefined): RolloutStepInput[] {
  const weights = steps.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = Number(s.replace(/%$/, ''));
    if (!Number.isFinite(n)) throw new UsageError(`--steps: "${s}" is not a percentage (e.g. --steps 10,25,50,100)`);
    return n;
  });
  if (weights.length === 0) throw new UsageError('--steps needs at least one percentage, e.g. 10,50,100');
  const out: RolloutStepInput[] = [];
  weights.forEach((w, i) => {
    out.push({ weight: w });
    if (pause !== undefined && i < weights.length - 1 && w < 100) out.push({ pause: pause === 'manual' ? null : pause });
  });
  return out;
}

const OPS = ['notIn', 'in', 'neq', 'eq', 'semver', 'lte', 'lt', 'gte', 'gt'] as const;

/** `region in eu,us`, `appVersion semver >=2.3.0`, `tier eq gold`, `ram gte 4`. */
export function parseConstraint(text: string): RolloutConstraint {
  const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(text);
  if (!m) throw new UsageError(`--constraint "${text}": expected ATTRIBUTE OP VALUE, e.g. "region in eu,us"`);
  const [, attribute, op, raw] = m as unknown as [string, string, string, string];
  if (!(OPS as readonly string[]).includes(op)) throw new UsageError(`--constraint "${text}": unknown operator "${op}"; use one of ${OPS.join(', ')}`);
  if (op === 'in' || op === 'notIn') return { attribute, op, value: raw.split(',').map((s) => s.trim()) };
  if (op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') {
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new UsageError(`--constraint "${text}": ${op} needs a number`);
    return { attribute, op, value: n };
  }
  return { attribute, op: op as 'eq' | 'neq' | 'semver', value: raw };
}

/**
 * An analysis file: JSON, or a flat YAML map (`key: value` per line, `#` comments, optional
 * quotes), which is all an analysis needs:
 *
 *   successCondition: errorRate < 0.01 and requests >= 500
 *   failureCondition: errorRate > 0.05
 *   failureLimit: 1
 *   interval: 1m
 *   count: 5
 */
export function parseAnalysisFile(text: string, file: string): RolloutAnalysis {
  let obj: Record<string, unknown>;
  if (text.trim().startsWith('{')) {
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  } else {
    obj = {};
    text.split(/\r?\n/).forEach((line, i) => {
      const t = line.replace(/\s+#.*$/, '').trim();
      if (t === '' || t.startsWith('#')) return;
      const m = /^([A-Za-z][\w]*)\s*:\s*(.*)$/.exec(t);
      if (!m) throw new UsageError(`${file}:${i + 1}: expected "key: value", got "${t}"`);
      let v: unknown = m[2]!.trim();
      if (/^(['"]).*\1$/.test(v as string)) v = (v as string).slice(1, -1);
      else if (/^-?\d+(\.\d+)?$/.test(v as string)) v = Number(v);
      obj[m[1]!] = v;
    });
  }
  const known = ['successCondition', 'failureCondition', 'failureLimit', 'interval', 'count'];
  for (const k of Object.keys(obj)) if (!known.includes(k)) throw new UsageError(`${file}: unknown key "${k}" (use ${known.join(', ')})`);
  if (obj.interval === undefined) throw new UsageError(`${file}: needs an interval, e.g. "interval: 1m"`);
  return obj as unknown as RolloutAnalysis;
}
