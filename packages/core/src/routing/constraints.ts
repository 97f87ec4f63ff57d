import semver from 'semver';
import { InvalidInputError } from '../errors.ts';
import type { Constraint, Scalar, UnitContext } from './types.ts';

/** Read a constraint attribute: the four built-ins, else `context.attributes[name]`. */
export function attributeOf(context: UnitContext, name: string): Scalar | undefined {
  switch (name) {
    case 'platform':
      return context.platform;
    case 'os':
      return context.os;
    case 'appVersion':
      return context.appVersion;
    case 'region':
      return context.region;
    default:
      return context.attributes?.[name];
  }
}

// Parsed semver ranges by source text. Tables hold few distinct ranges; the cap only guards
// against a caller that generates ranges without bound.
const ranges = new Map<string, semver.Range>();
const MAX_CACHED_RANGES = 1024;

function rangeOf(text: string): semver.Range {
  let r = ranges.get(text);
  if (r === undefined) {
    r = new semver.Range(text); // throws TypeError on a bad range; the validator catches it first
    if (ranges.size >= MAX_CACHED_RANGES) ranges.clear();
    ranges.set(text, r);
  }
  return r;
}

function toNumber(v: Scalar): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return Number.NaN; // booleans and empty strings are not numbers
}

/**
 * Whether `context` satisfies one constraint. A missing attribute fails (see `Constraint`).
 * Throws InvalidInputError on an unknown operator, even for tables that skipped validation.
 */
export function evaluateConstraint(c: Constraint, context: UnitContext): boolean {
  const actual = attributeOf(context, c.attribute);
  if (actual === undefined) {
    if (!isKnownOperator(c.op)) throw unknownOperator(c.op);
    return false;
  }
  switch (c.op) {
    case 'in':
    case 'notIn': {
      const s = String(actual);
      let found = false;
      for (const v of c.value) {
        if (String(v) === s) {
          found = true;
          break;
        }
      }
      return c.op === 'in' ? found : !found;
    }
    case 'eq':
      return String(actual) === String(c.value);
    case 'neq':
      return String(actual) !== String(c.value);
    case 'semver': {
      const v = semver.valid(String(actual));
      return v !== null && rangeOf(c.value).test(v);
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const n = toNumber(actual);
      if (!Number.isFinite(n)) return false;
      if (c.op === 'lt') return n < c.value;
      if (c.op === 'lte') return n <= c.value;
      if (c.op === 'gt') return n > c.value;
      return n >= c.value;
    }
    default:
      throw unknownOperator((c as { op: unknown }).op);
  }
}

/** All constraints hold (an empty list holds). */
export function matchesAll(constraints: readonly Constraint[], context: UnitContext): boolean {
  for (const c of constraints) if (!evaluateConstraint(c, context)) return false;
  return true;
}

const KNOWN = new Set<string>(['in', 'notIn', 'eq', 'neq', 'semver', 'lt', 'lte', 'gt', 'gte']);

export function isKnownOperator(op: unknown): boolean {
  return typeof op === 'string' && KNOWN.has(op);
}

function unknownOperator(op: unknown): InvalidInputError {
  return new InvalidInputError(
    `unknown constraint operator ${JSON.stringify(op)}; use one of ${[...KNOWN].join(', ')}`,
    { op },
  );
}
