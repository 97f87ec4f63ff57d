/**
 * Binning shared by PSI and Jensen-Shannon: numpy-compatible quantiles, frozen reference-decile
 * bins, and Evidently's category percentages with its zero filling (`get_binned_data`).
 */

/** numpy.quantile(sorted, q) with the default 'linear' method; `sorted` must be ascending. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  // numpy's _lerp: symmetric form keeps monotonicity at t >= 0.5.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/**
 * Frozen bins for a reference profile: the 10%..90% reference quantiles, deduplicated (a column
 * with many ties yields fewer, wider bins). A value x falls in bin #{edges <= x}, so there are
 * edges.length + 1 bins and the outer ones are open-ended: current values outside the reference
 * range still land somewhere.
 */
export function decileEdges(sortedReference: ArrayLike<number>): number[] {
  const edges: number[] = [];
  for (let k = 1; k <= 9; k++) {
    const e = quantileSorted(sortedReference, k / 10);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Index of the bin holding x: the number of edges <= x (binary search, numpy searchsorted 'right'). */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts per bin for `values` against frozen `edges` (edges.length + 1 bins). */
export function binCounts(edges: ArrayLike<number>, values: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) {
    const b = binIndex(edges, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
  return counts;
}

/**
 * Evidently `get_binned_data(..., feel_zeroes=True)` for counts over a common key list: divide by
 * the sample size, then replace zeros by 0.0001, or by min(non-zero)/1e6 when the smallest
 * non-zero share is itself <= 0.0001.
 */
export function evidentlyPercents(counts: ArrayLike<number>, total: number): Float64Array {
  const out = Float64Array.from(counts, (c) => c / total);
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const v of out) if (v !== 0 && v < minNonZero) minNonZero = v;
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}
