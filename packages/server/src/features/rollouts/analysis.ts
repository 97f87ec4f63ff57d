import { evaluateCondition, parseCondition, refKey, refsOf, type MetricRef } from './conditions.ts';
import type { AnalysisProgress, AnalysisSpec } from './rollouts.types.ts';

export type Outcome = 'success' | 'failure' | 'inconclusive';
export type Verdict = 'continue' | 'passed' | 'failed' | 'inconclusive';

/** Metric references of an analysis (both conditions). Parsing also validates the syntax. */
export function analysisRefs(a: AnalysisSpec, path = 'analysis'): MetricRef[] {
  const refs: MetricRef[] = [];
  if (a.successCondition !== undefined) refs.push(...refsOf(parseCondition(a.successCondition, `${path}.successCondition`)));
  if (a.failureCondition !== undefined) refs.push(...refsOf(parseCondition(a.failureCondition, `${path}.failureCondition`)));
  return refs;
}

/** One measurement: failure wins over success; no verdict either way is inconclusive. */
export function measure(a: AnalysisSpec, values: ReadonlyMap<string, number | undefined>): Outcome {
  if (a.failureCondition !== undefined && evaluateCondition(parseCondition(a.failureCondition), values) === true) return 'failure';
  if (a.successCondition === undefined) return a.failureCondition !== undefined && evaluateCondition(parseCondition(a.failureCondition), values) === false ? 'success' : 'inconclusive';
  const ok = evaluateCondition(parseCondition(a.successCondition), values);
  return ok === true ? 'success' : 'inconclusive';
}

/**
 * After recording a measurement: more than `failureLimit` failures fail at once; after `count`
 * measurements any inconclusive one makes the analysis inconclusive (the rollout pauses for a
 * human), otherwise it passes.
 */
export function verdict(a: AnalysisSpec, p: AnalysisProgress): Verdict {
  if (p.failures > (a.failureLimit ?? 0)) return 'failed';
  if (p.measurements.length < (a.count ?? 1)) return 'continue';
  return p.inconclusive > 0 ? 'inconclusive' : 'passed';
}

/** Measurements due by `nowMs` for a step that started at `startMs` (one per elapsed interval). */
export const measurementsDue = (a: AnalysisSpec, startMs: number, nowMs: number): number => Math.min(a.count ?? 1, Math.floor((nowMs - startMs) / a.intervalMs));

export function record(p: AnalysisProgress, at: string, outcome: Outcome, values: ReadonlyMap<string, number | undefined>, refs: readonly MetricRef[]): AnalysisProgress {
  const shown: Record<string, number | null> = {};
  for (const r of refs) shown[refKey(r)] = values.get(refKey(r)) ?? null;
  return {
    measurements: [...p.measurements, { at, outcome, values: shown }],
    failures: p.failures + (outcome === 'failure' ? 1 : 0),
    inconclusive: p.inconclusive + (outcome === 'inconclusive' ? 1 : 0),
  };
}

export const EMPTY_PROGRESS: AnalysisProgress = { measurements: [], failures: 0, inconclusive: 0 };
