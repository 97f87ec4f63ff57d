import semver from 'semver';
import { canonicalJson } from '@steward/core';

/** How a model's input or output schema changed between two versions. */
export type SchemaChange = 'none' | 'additive' | 'breaking';

interface Field {
  type: string;
  required: boolean;
}

/**
 * Reads the field shapes Steward understands: JSON Schema objects (`properties` + `required`),
 * `{ fields: [{ name, type, optional? }] }`, or a bare array of such fields. Anything else is
 * compared as an opaque value (any difference is breaking, since we cannot tell).
 */
export function schemaFields(schema: unknown): Map<string, Field> | undefined {
  if (schema === null || schema === undefined) return new Map();
  if (typeof schema !== 'object') return undefined;
  const s = schema as Record<string, unknown>;
  const list = Array.isArray(schema) ? schema : Array.isArray(s.fields) ? s.fields : undefined;
  if (list) {
    const out = new Map<string, Field>();
    for (const f of list as Record<string, unknown>[]) {
      if (typeof f?.name !== 'string') return undefined;
      out.set(f.name, { type: canonicalJson(f.type ?? null), required: f.optional !== true && f.default === undefined });
    }
    return out;
  }
  if (s.properties && typeof s.properties === 'object') {
    const req = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const out = new Map<string, Field>();
    for (const [name, p] of Object.entries(s.properties as Record<string, unknown>)) out.set(name, { type: canonicalJson(p), required: req.has(name) });
    return out;
  }
  return undefined;
}

/**
 * Removing or retyping a field breaks both sides. A new input field breaks callers that do not
 * send it unless it is optional; a new output field is additive (old readers ignore it).
 */
export function classifySchemaChange(before: unknown, after: unknown, side: 'input' | 'output'): { change: SchemaChange; reasons: string[] } {
  const a = schemaFields(before);
  const b = schemaFields(after);
  if (!a || !b) {
    const same = canonicalJson(before ?? null) === canonicalJson(after ?? null);
    return { change: same ? 'none' : 'breaking', reasons: same ? [] : [`${side} schema changed (unrecognised shape, compared as a whole)`] };
  }
  const reasons: string[] = [];
  let change: SchemaChange = 'none';
  const bump = (to: SchemaChange, why: string) => {
    reasons.push(why);
    if (to === 'breaking' || change === 'none') change = to;
  };
  for (const [name, f] of a) {
    const g = b.get(name);
    if (!g) bump('breaking', `${side} field "${name}" removed`);
    else if (g.type !== f.type) bump('breaking', `${side} field "${name}" changed type`);
    else if (side === 'input' && g.required && !f.required) bump('breaking', `${side} field "${name}" became required`);
  }
  for (const [name, g] of b) {
    if (a.has(name)) continue;
    if (side === 'input' && g.required) bump('breaking', `new required ${side} field "${name}"`);
    else bump('additive', `new ${side} field "${name}"`);
  }
  return { change, reasons };
}

/** The smallest bump a change needs, and whether `from → to` is at least that. */
export function bumpSatisfies(from: string, to: string, change: SchemaChange): { ok: boolean; needed: 'major' | 'minor' | 'none'; got: string } {
  const needed = change === 'breaking' ? 'major' : change === 'additive' ? 'minor' : 'none';
  const got = semver.gt(to, from) ? (semver.diff(from, to) ?? 'none') : semver.eq(to, from) ? 'none' : 'downgrade';
  const a = semver.parse(from)!;
  const b = semver.parse(to)!;
  const ok = needed === 'none' ? true : needed === 'major' ? b.major > a.major : b.major > a.major || (b.major === a.major && b.minor > a.minor);
  return { ok, needed, got };
}
