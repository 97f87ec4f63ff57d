/**
 * Per-version telemetry windows, as clients and agents report them, and their aggregation into the
 * metrics analyses read. Counters add; latency merges exactly when every window carries a
 * histogram with the same bucket bounds, and otherwise falls back to the request-weighted mean of
 * the reported percentiles (an approximation: percentiles do not compose; say so in the docs).
 */
export interface LatencyPercentiles {
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
}
/** `counts[i]` = requests with latency ≤ `boundsMs[i]` (and above the previous bound); the last count is the overflow. */
export interface LatencyHistogram {
  boundsMs: number[];
  counts: number[];
}
export interface WindowCounts {
  requests: number;
  errors: number;
  latency?: { percentiles?: LatencyPercentiles; histogram?: LatencyHistogram };
  shadowCompared: number;
  shadowAgreed: number;
  counters: Record<string, number>;
}

export const BASE_METRICS = ['requests', 'errors', 'errorRate', 'latencyP50', 'latencyP90', 'latencyP95', 'latencyP99', 'shadowAgreement', 'shadowCompared'] as const;
const QUANTILES = [
  ['latencyP50', 'p50', 0.5],
  ['latencyP90', 'p90', 0.9],
  ['latencyP95', 'p95', 0.95],
  ['latencyP99', 'p99', 0.99],
] as const;

/** Quantile `q` of a histogram, linear within the bucket; the overflow bucket answers its lower bound. */
export function histogramQuantile(h: LatencyHistogram, q: number): number | undefined {
  const total = h.counts.reduce((s, c) => s + c, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i]!;
    if (c > 0 && cum + c >= rank) {
      if (i >= h.boundsMs.length) return h.boundsMs[h.boundsMs.length - 1];
      const lo = i === 0 ? 0 : h.boundsMs[i - 1]!;
      const hi = h.boundsMs[i]!;
      return lo + ((rank - cum) / c) * (hi - lo);
    }
    cum += c;
  }
  return h.boundsMs[h.boundsMs.length - 1];
}

const sameBounds = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Metric name → value; a metric without data is absent (never 0: no traffic is not "no errors"). */
export function aggregateWindows(windows: readonly WindowCounts[]): Map<string, number> {
  const out = new Map<string, number>();
  let requests = 0;
  let errors = 0;
  let compared = 0;
  let agreed = 0;
  const counters = new Map<string, number>();
  for (const w of windows) {
    requests += w.requests;
    errors += w.errors;
    compared += w.shadowCompared;
    agreed += w.shadowAgreed;
    for (const [k, v] of Object.entries(w.counters)) counters.set(k, (counters.get(k) ?? 0) + v);
  }
  if (windows.length === 0) return out;
  out.set('requests', requests);
  out.set('errors', errors);
  if (requests > 0) out.set('errorRate', errors / requests);
  out.set('shadowCompared', compared);
  if (compared > 0) out.set('shadowAgreement', agreed / compared);
  for (const [k, v] of counters) {
    out.set(`counter.${k}`, v);
    if (requests > 0) out.set(`rate.${k}`, v / requests);
  }
  for (const [name, q] of latencyQuantiles(windows)) out.set(name, q);
  return out;
}

function latencyQuantiles(windows: readonly WindowCounts[]): Array<[string, number]> {
  const withLatency = windows.filter((w) => w.latency !== undefined && w.requests > 0);
  if (withLatency.length === 0) return [];
  const first = withLatency[0]!.latency!.histogram;
  if (first && withLatency.every((w) => w.latency!.histogram && sameBounds(w.latency!.histogram.boundsMs, first.boundsMs))) {
    const counts = first.boundsMs.map(() => 0).concat(0);
    for (const w of withLatency) w.latency!.histogram!.counts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
    const merged = { boundsMs: first.boundsMs, counts };
    return QUANTILES.flatMap(([name, , q]) => {
      const v = histogramQuantile(merged, q);
      return v === undefined ? [] : [[name, v] as [string, number]];
    });
  }
  const out: Array<[string, number]> = [];
  for (const [name, key, q] of QUANTILES) {
    let weight = 0;
    let sum = 0;
    for (const w of withLatency) {
      const p = w.latency!.percentiles?.[key] ?? (w.latency!.histogram ? histogramQuantile(w.latency!.histogram, q) : undefined);
      if (p === undefined) continue;
      weight += w.requests;
      sum += p * w.requests;
    }
    if (weight > 0) out.push([name, sum / weight]);
  }
  return out;
}
