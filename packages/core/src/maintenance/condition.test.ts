import { describe, expect, it } from 'vitest';
import { holds, namesOf, parseCondition } from './condition.ts';

const env = (m: Record<string, number>) => (n: string) => m[n] ?? Number.NaN;

describe('rule conditions', () => {
  it('evaluates comparisons, arithmetic and boolean logic with precedence', () => {
    const e = parseCondition('accuracy < reference.accuracy - 0.05 and count >= 100 or alarms.ddm > 0');
    expect(holds(e, env({ accuracy: 0.7, 'reference.accuracy': 0.8, count: 100 }))).toBe(true);
    expect(holds(e, env({ accuracy: 0.76, 'reference.accuracy': 0.8, count: 100 }))).toBe(false);
    expect(holds(e, env({ accuracy: 0.7, 'reference.accuracy': 0.8, count: 99 }))).toBe(false);
    expect(holds(e, env({ 'alarms.ddm': 1 }))).toBe(true);
    expect([...namesOf(e)].sort()).toEqual(['accuracy', 'alarms.ddm', 'count', 'reference.accuracy']);
  });

  it('never fires on missing data', () => {
    expect(holds(parseCondition('accuracy < 0.9'), env({}))).toBe(false);
    expect(holds(parseCondition('accuracy != 0.9'), env({}))).toBe(false);
    expect(holds(parseCondition('not (accuracy >= 0.9)'), env({}))).toBe(true);
    expect(holds(parseCondition('drift.age'), env({ 'drift.age': 1 }))).toBe(true);
  });

  it('rejects malformed conditions with a clear error', () => {
    for (const bad of ['accuracy <', 'accuracy < < 1', '(a < 1', 'a $ 1', 'and']) {
      expect(() => parseCondition(bad)).toThrow(/condition/);
    }
  });
});
