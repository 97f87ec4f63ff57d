/**
 * Where analyses get numbers. Telemetry (client-reported request counts, errors, latency, shadow
 * agreement) is one source; the monitoring feature plugs in model-quality metrics (accuracy,
 * drift…) by implementing this interface and passing it to `createRolloutService({ sources })`.
 */
export interface MetricQuery {
  model: string;
  channel: string;
  version: string;
  /** A/B arm, when the caller compares arms rather than versions. */
  arm?: string;
  /** Data from windows ending in (from, to]. */
  from: Date;
  to: Date;
  metrics: readonly string[];
}

export interface AnalysisMetricSource {
  /** Short name shown in status (`telemetry`, `monitoring`). */
  readonly name: string;
  /** Whether this source can report `metric` for `model`; checked before a rollout starts. */
  provides(metric: string, model: string): Promise<boolean>;
  /** Values of the requested metrics it has; a metric without data is absent from the map. */
  query(q: MetricQuery): Promise<Map<string, number>>;
}

/** Ask every source; the first that provides a metric answers for it. */
export async function querySources(sources: readonly AnalysisMetricSource[], q: MetricQuery): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of sources) {
    const want: string[] = [];
    for (const m of q.metrics) if (!out.has(m) && (await s.provides(m, q.model))) want.push(m);
    if (want.length === 0) continue;
    for (const [k, v] of await s.query({ ...q, metrics: want })) if (want.includes(k)) out.set(k, v);
  }
  return out;
}
