import { describe, expect, it } from 'vitest';
import { evaluateCondition, parseCondition, refsOf } from './conditions.ts';

const vals = (o: Record<string, number | undefined>) => new Map(Object.entries(o));

describe('analysis conditions', () => {
  it('reads candidate and stable references with a factor', () => {
    const c = parseCondition('errorRate < 0.01 and latencyP95 <= stable.latencyP95 * 1.2');
    expect(refsOf(c)).toEqual([
      { scope: 'candidate', metric: 'errorRate' },
      { scope: 'candidate', metric: 'latencyP95' },
      { scope: 'stable', metric: 'latencyP95' },
    ]);
    expect(evaluateCondition(c, vals({ 'candidate.errorRate': 0.005, 'candidate.latencyP95': 119, 'stable.latencyP95': 100 }))).toBe(true);
    expect(evaluateCondition(c, vals({ 'candidate.errorRate': 0.005, 'candidate.latencyP95': 121, 'stable.latencyP95': 100 }))).toBe(false);
  });

  it('is three-valued: missing data is unknown, but a false clause still decides', () => {
    const c = parseCondition('errorRate < 0.01 and requests >= 100');
    expect(evaluateCondition(c, vals({ 'candidate.errorRate': 0.001 }))).toBeUndefined();
    expect(evaluateCondition(c, vals({ 'candidate.errorRate': 0.5 }))).toBe(false);
    const o = parseCondition('errorRate > 0.1 or latencyP99 > 500');
    expect(evaluateCondition(o, vals({ 'candidate.latencyP99': 900 }))).toBe(true);
    expect(evaluateCondition(o, vals({ 'candidate.latencyP99': 100 }))).toBeUndefined();
    expect(evaluateCondition(o, vals({ 'candidate.latencyP99': 100, 'candidate.errorRate': 0 }))).toBe(false);
  });

  it('rejects what it cannot read, naming the path', () => {
    expect(() => parseCondition('errorRate ~ 3', 'analysis.successCondition')).toThrow(/analysis.successCondition/);
    expect(() => parseCondition('')).toThrow(/empty/);
    expect(() => parseCondition('errorRate < (1)')).toThrow(/cannot read/);
  });
});
