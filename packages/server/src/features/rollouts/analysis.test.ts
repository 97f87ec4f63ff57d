import { describe, expect, it } from 'vitest';
import { EMPTY_PROGRESS, measure, measurementsDue, record, verdict } from './analysis.ts';
import type { AnalysisSpec } from './rollouts.types.ts';

const spec: AnalysisSpec = { successCondition: 'errorRate < 0.01 and requests >= 100', failureCondition: 'errorRate > 0.05', failureLimit: 1, intervalMs: 1000, count: 3 };
const v = (o: Record<string, number>) => new Map(Object.entries(o).map(([k, x]) => [`candidate.${k}`, x]));

describe('analysis', () => {
  it('classifies measurements: failure wins, missing data is inconclusive', () => {
    expect(measure(spec, v({ errorRate: 0.001, requests: 500 }))).toBe('success');
    expect(measure(spec, v({ errorRate: 0.2, requests: 500 }))).toBe('failure');
    expect(measure(spec, v({ errorRate: 0.02, requests: 500 }))).toBe('inconclusive');
    expect(measure(spec, v({ errorRate: 0.001 }))).toBe('inconclusive');
    expect(measure({ failureCondition: 'errorRate > 0.05', intervalMs: 1 }, v({ errorRate: 0.01 }))).toBe('success');
  });

  it('fails past the failure limit, pauses on inconclusive, passes otherwise', () => {
    const refs = [{ scope: 'candidate' as const, metric: 'errorRate' }];
    let p = record(EMPTY_PROGRESS, 't1', 'failure', v({}), refs);
    expect(verdict(spec, p)).toBe('continue'); // limit 1 tolerates one failure
    p = record(p, 't2', 'failure', v({}), refs);
    expect(verdict(spec, p)).toBe('failed');
    let q = record(EMPTY_PROGRESS, 't1', 'success', v({}), refs);
    q = record(q, 't2', 'inconclusive', v({}), refs);
    expect(verdict(spec, q)).toBe('continue');
    expect(verdict(spec, record(q, 't3', 'success', v({}), refs))).toBe('inconclusive');
    let ok = EMPTY_PROGRESS;
    for (const t of ['a', 'b', 'c']) ok = record(ok, t, 'success', v({ errorRate: 0 }), refs);
    expect(verdict(spec, ok)).toBe('passed');
    expect(ok.measurements[0]!.values).toEqual({ 'candidate.errorRate': 0 });
  });

  it('schedules one measurement per elapsed interval, capped at count', () => {
    expect(measurementsDue(spec, 0, 999)).toBe(0);
    expect(measurementsDue(spec, 0, 2500)).toBe(2);
    expect(measurementsDue(spec, 0, 99_000)).toBe(3);
  });
});
