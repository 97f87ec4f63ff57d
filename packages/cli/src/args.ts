import type { ParamValue, Relation } from '@steward/client';
import { parseDurationMs } from '@steward/core';

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Commander collector for repeatable options (`--tag a=1 --tag b=2`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Parses `k=v` pairs (split at the first `=`, so values may contain `=`). Keys must be non-empty
 * and unique.
 */
export function parseKeyValues(pairs: string[], what = 'value'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`expected key=value for ${what}, got "${pair}"`);
    const key = pair.slice(0, i).trim();
    if (!key) throw new UsageError(`expected key=value for ${what}, got "${pair}"`);
    if (Object.hasOwn(out, key)) throw new UsageError(`${what} "${key}" given twice`);
    // defineProperty: a key named "__proto__" must stay data, not replace the prototype.
    Object.defineProperty(out, key, { value: pair.slice(i + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** `true`/`false` become booleans, decimal numbers become numbers, anything else stays a string. */
export function parseParamValue(raw: string): ParamValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (NUMBER.test(raw.trim())) return Number(raw);
  return raw;
}

export function parseParams(pairs: string[]): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(parseKeyValues(pairs, 'param')).map(([k, v]) => [k, parseParamValue(v)]));
}

export function parseMetrics(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parseKeyValues(pairs, 'metric'))) {
    if (!NUMBER.test(v.trim())) throw new UsageError(`metric ${k} must be a number, got "${v}"`);
    Object.defineProperty(out, k, { value: Number(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Splits `NAME@REF` at the first `@` (model names cannot contain one). Without `@`, `defaultRef`
 * is used if given.
 */
export function parseModelRef(input: string, defaultRef?: string): { model: string; ref: string } {
  const i = input.indexOf('@');
  if (i < 0) {
    if (defaultRef !== undefined && input) return { model: input, ref: defaultRef };
    throw new UsageError(`expected NAME@REF (e.g. fraud@1.2.0, fraud@production), got "${input}"`);
  }
  const model = input.slice(0, i);
  const ref = input.slice(i + 1);
  if (!model || !ref) throw new UsageError(`expected NAME@REF (e.g. fraud@1.2.0, fraud@production), got "${input}"`);
  return { model, ref };
}

/** `--depends tokenizer@^2` → `{ tokenizer: '^2' }`. */
export function parseDepends(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const { model, ref } = parseModelRef(item);
    out[model] = ref;
  }
  return out;
}

const RELATIONS: Relation[] = ['retrain', 'finetune', 'online-update', 'quantize', 'distill'];
export function parseRelation(raw: string): Relation {
  if (!(RELATIONS as string[]).includes(raw)) throw new UsageError(`--relation must be one of ${RELATIONS.join(', ')}, got "${raw}"`);
  return raw as Relation;
}

/** An ISO-8601 time, or a duration ago (`30m`, `24h`, `7d`). Returns ISO-8601 UTC. */
export function parseTime(raw: string, now: Date): string {
  const ago = parseDurationMs(raw);
  if (ago !== undefined) return new Date(now.getTime() - ago).toISOString();
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new UsageError(`expected an ISO-8601 time or a duration like 7d, got "${raw}"`);
  return new Date(t).toISOString();
}

export function parsePositiveInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`expected a positive integer, got "${raw}"`);
  return n;
}
