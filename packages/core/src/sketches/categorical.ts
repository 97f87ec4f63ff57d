/**
 * Bounded categorical counter: exact counts for up to `capacity` distinct categories, anything
 * beyond folds into `other`, so memory is O(capacity) whatever the row count. Missing values are
 * counted apart. Merge adds counts; when the union exceeds capacity the smallest counts fold
 * into `other` (ties broken by key, so merges are deterministic and commutative).
 * `topK(k)` reports the k largest categories plus one `other` bucket holding the rest.
 */
export interface CategoricalState {
  capacity: number;
  counts: Record<string, number>;
  other: number;
  missing: number;
  total: number;
}

export const DEFAULT_CATEGORY_CAPACITY = 1000;

export function emptyCategorical(capacity = DEFAULT_CATEGORY_CAPACITY): CategoricalState {
  return { capacity, counts: Object.create(null) as Record<string, number>, other: 0, missing: 0, total: 0 };
}

/** Add one observation (count times) in place. null/undefined = missing. */
export function addCategory(s: CategoricalState, value: string | null | undefined, count = 1): void {
  s.total += count;
  if (value === null || value === undefined) {
    s.missing += count;
    return;
  }
  const c = s.counts[value];
  if (c !== undefined) s.counts[value] = c + count;
  else if (Object.keys(s.counts).length < s.capacity) s.counts[value] = count;
  else s.other += count;
}

function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

export function mergeCategorical(a: CategoricalState, b: CategoricalState): CategoricalState {
  const capacity = Math.min(a.capacity, b.capacity);
  const sum: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [k, v] of Object.entries(a.counts)) sum[k] = v;
  for (const [k, v] of Object.entries(b.counts)) sum[k] = (sum[k] ?? 0) + v;
  const entries = Object.entries(sum).sort(byCountThenKey);
  const counts: Record<string, number> = Object.create(null) as Record<string, number>;
  let other = a.other + b.other;
  entries.forEach(([k, v], i) => {
    if (i < capacity) counts[k] = v;
    else other += v;
  });
  return { capacity, counts, other, missing: a.missing + b.missing, total: a.total + b.total };
}

export interface TopK {
  top: Array<{ value: string; count: number }>;
  /** Every non-missing observation not in `top`. */
  other: number;
  missing: number;
  total: number;
}

export function topK(s: CategoricalState, k: number): TopK {
  const entries = Object.entries(s.counts).sort(byCountThenKey);
  const top = entries.slice(0, k).map(([value, count]) => ({ value, count }));
  const inTop = top.reduce((acc, t) => acc + t.count, 0);
  return { top, other: s.total - s.missing - inTop, missing: s.missing, total: s.total };
}
