/**
 * Log-bucketed histogram (the bucket mapping of DDSketch, Masson et al., VLDB 2019): a value x ≠ 0
 * goes to bucket k = ⌈ln|x| / ln γ⌉ on its sign's side, |x| < 1e-12 to the zero bucket, so every
 * value is represented within relative error (γ − 1)/(γ + 1) ≈ 1% for γ = 1.02, and merging adds
 * counts exactly. Unlike a rank-error sketch (KLL), this keeps the far tail's mass exact, which is
 * what Wasserstein distance on heavy-tailed columns (capital-gain) is sensitive to. Size grows with
 * the log of the value range (≈ 116 buckets per factor 10), never with rows.
 */
export const LOG_HIST_GAMMA = 1.02;
const LN_GAMMA = Math.log(LOG_HIST_GAMMA);
const ZERO = 1e-12;

/** key → count; keys are `z`, `p<k>` (positive) and `n<k>` (negative). */
export type LogHistogram = Record<string, number>;

export const emptyLogHistogram = (): LogHistogram => Object.create(null) as LogHistogram;

export function logHistKey(x: number): string {
  const a = Math.abs(x);
  if (a < ZERO) return 'z';
  const k = Math.ceil(Math.log(a) / LN_GAMMA);
  return x > 0 ? `p${k}` : `n${k}`;
}

// Interned key strings for the common bucket range, so the hot path allocates no string per value.
const KEY_RANGE = 2048;
const POS_KEYS = Array.from({ length: 2 * KEY_RANGE + 1 }, (_, i) => `p${i - KEY_RANGE}`);
const NEG_KEYS = Array.from({ length: 2 * KEY_RANGE + 1 }, (_, i) => `n${i - KEY_RANGE}`);

function fastKey(x: number): string {
  const a = x < 0 ? -x : x;
  if (a < ZERO) return 'z';
  const k = Math.ceil(Math.log(a) / LN_GAMMA);
  if (k < -KEY_RANGE || k > KEY_RANGE) return x > 0 ? `p${k}` : `n${k}`;
  return (x > 0 ? POS_KEYS : NEG_KEYS)[k + KEY_RANGE] as string;
}

/** The value a bucket stands for: 2γᵏ/(γ + 1), within ±1% of every value in it. */
export function logHistValue(key: string): number {
  if (key === 'z') return 0;
  const v = (2 * Math.pow(LOG_HIST_GAMMA, Number(key.slice(1)))) / (LOG_HIST_GAMMA + 1);
  return key[0] === 'n' ? -v : v;
}

export function addToLogHistogram(h: LogHistogram, x: number): void {
  const k = fastKey(x);
  h[k] = (h[k] ?? 0) + 1;
}

export function mergeLogHistograms(a: LogHistogram, b: LogHistogram): LogHistogram {
  const out = emptyLogHistogram();
  for (const [k, c] of Object.entries(a)) out[k] = c;
  for (const [k, c] of Object.entries(b)) out[k] = (out[k] ?? 0) + c;
  return out;
}

/**
 * The histogram as a sorted sample of at most `max` values. Counts are scaled by cumulative
 * rounding, so each bucket's share of the sample is within 1/max of its true share (tail buckets
 * with a single row do not vanish unless the scale drops below one row per `max`).
 */
export function replayLogHistogram(h: LogHistogram, max: number): Float64Array {
  const entries = Object.entries(h).map(([k, c]) => [logHistValue(k), c] as const).sort((x, y) => x[0] - y[0]);
  const total = entries.reduce((s, [, c]) => s + c, 0);
  const m = Math.min(total, max);
  const out = new Float64Array(m);
  const scale = total > 0 ? m / total : 0;
  let cum = 0;
  let emitted = 0;
  for (const [v, c] of entries) {
    cum += c;
    const upto = Math.min(m, Math.round(cum * scale));
    out.fill(v, emitted, upto);
    emitted = Math.max(emitted, upto);
  }
  return out;
}

/** Estimated q-quantile (q in [0, 1]): the value of the bucket where the cumulative count reaches q·n. */
export function logHistogramQuantile(h: LogHistogram, q: number): number {
  const entries = Object.entries(h).map(([k, c]) => [logHistValue(k), c] as const).sort((x, y) => x[0] - y[0]);
  const total = entries.reduce((s, [, c]) => s + c, 0);
  if (total === 0) return Number.NaN;
  let cum = 0;
  for (const [v, c] of entries) {
    cum += c;
    if (cum >= q * total) return v;
  }
  return entries[entries.length - 1]![0];
}
