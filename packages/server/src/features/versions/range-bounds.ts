import semver from 'semver';
import { assertRange, parseVersion } from '@steward/core';

type Bound = { key: string; inclusive: boolean };

/**
 * The smallest sort-key interval containing every version a semver range can match, so SQL can
 * use the (model, state, sort_key) index; the service then applies `semver.satisfies` exactly.
 */
export function rangeBounds(range: string): { lower?: Bound; upper?: Bound } {
  const r = new semver.Range(assertRange(range));
  let lower: Bound | undefined | null = null; // null = not yet seen any set
  let upper: Bound | undefined | null = null;
  for (const set of r.set) {
    let lo: Bound | undefined;
    let hi: Bound | undefined;
    for (const c of set) {
      if (c.value === '') continue; // matches anything
      const key = parseVersion(c.semver.version).sortKey;
      if (c.operator === '' || c.operator === '>=' || c.operator === '>') {
        const b = { key, inclusive: c.operator !== '>' };
        if (!lo || b.key > lo.key) lo = b;
      }
      if (c.operator === '' || c.operator === '<=' || c.operator === '<') {
        const b = { key, inclusive: c.operator !== '<' };
        if (!hi || b.key < hi.key) hi = b;
      }
    }
    lower = lower === null ? lo : widerLower(lower, lo);
    upper = upper === null ? hi : widerUpper(upper, hi);
  }
  return { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
}

// Union of sets: the lower bound is the smallest one; a set without a bound makes the union unbounded.
function widerLower(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a || !b) return undefined;
  if (a.key === b.key) return a.inclusive ? a : b;
  return b.key < a.key ? b : a;
}
function widerUpper(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a || !b) return undefined;
  if (a.key === b.key) return a.inclusive ? a : b;
  return b.key > a.key ? b : a;
}
