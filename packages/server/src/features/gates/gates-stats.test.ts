import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mcnemar, mcnemarFromCounts } from './mcnemar.ts';
import { pairedBootstrap, quantileSorted } from './paired-bootstrap.ts';
import { bumpSatisfies, classifySchemaChange } from './schema-compat.ts';

describe('mcnemar', () => {
  // Goldens: scipy.stats.binomtest(min(b,c), b+c, 0.5).pvalue below 25 discordant pairs,
  // chi2.sf((|b-c|-1)^2/(b+c), 1) from 25 on (scipy 1.17).
  const golden: [number, number, number][] = [
    [3, 10, 0.09228515625],
    [0, 7, 0.015625],
    [12, 12, 1.0],
    [40, 20, 0.014171388254012323],
    [100, 130, 0.055850113675743426],
    [5, 0, 0.0625],
  ];
  it.each(golden)('b=%d c=%d matches scipy', (b, c, p) => {
    expect(mcnemarFromCounts(b, c).pValue).toBeCloseTo(p, 12);
  });
  it('counts discordant pairs from paired correctness', () => {
    const r = mcnemar([1, 1, 0, 0, 1, 0], [1, 0, 1, 1, 0, 0]);
    expect([r.b, r.c]).toEqual([2, 2]);
    expect(r.pValue).toBe(1);
  });
  it('is symmetric in b and c', () => {
    fc.assert(fc.property(fc.nat(200), fc.nat(200), (b, c) => Math.abs(mcnemarFromCounts(b, c).pValue - mcnemarFromCounts(c, b).pValue) < 1e-12));
  });
});

describe('paired bootstrap', () => {
  const accuracy = (y: number[]) => (s: ArrayLike<number>, idx: Int32Array) => {
    let ok = 0;
    for (const i of idx) ok += (s[i]! >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
    return ok / idx.length;
  };
  it('gives a zero-width interval at zero for identical models and is reproducible by seed', () => {
    const y = Array.from({ length: 200 }, (_, i) => i % 2);
    const s = y.map((v, i) => (i % 7 === 0 ? 1 - v : v));
    const r = pairedBootstrap(y.length, accuracy(y), s, s, { resamples: 200 });
    expect([r.delta, r.low, r.high]).toEqual([0, 0, 0]);
  });
  it('brackets a real drop and separates it from zero', () => {
    const y = Array.from({ length: 1000 }, (_, i) => i % 2);
    const base = y.map((v) => v);
    const cand = y.map((v, i) => (i % 10 === 0 ? 1 - v : v)); // 10 % worse
    const a = pairedBootstrap(y.length, accuracy(y), base, cand, { resamples: 300, seed: 7 });
    const b = pairedBootstrap(y.length, accuracy(y), base, cand, { resamples: 300, seed: 7 });
    expect(a).toEqual(b);
    expect(a.delta).toBeCloseTo(-0.1, 12);
    expect(a.low).toBeLessThan(-0.1);
    expect(a.high).toBeGreaterThan(-0.1);
    expect(a.high).toBeLessThan(0);
  });
  it('quantile matches numpy linear interpolation', () => {
    // numpy.quantile([1,2,3,4], 0.1) == 1.3
    expect(quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.1)).toBeCloseTo(1.3, 12);
  });
});

describe('schema compatibility', () => {
  const s = (...fields: [string, string, boolean?][]) => ({ fields: fields.map(([name, type, optional]) => ({ name, type, ...(optional ? { optional } : {}) })) });
  it('classifies removals, retypes and required inputs as breaking, optional additions as additive', () => {
    expect(classifySchemaChange(s(['a', 'f32']), s(['a', 'f32']), 'input').change).toBe('none');
    expect(classifySchemaChange(s(['a', 'f32']), s(['a', 'f32'], ['b', 'f32', true]), 'input').change).toBe('additive');
    expect(classifySchemaChange(s(['a', 'f32']), s(['a', 'f32'], ['b', 'f32']), 'input').change).toBe('breaking');
    expect(classifySchemaChange(s(['a', 'f32']), s(['a', 'f32'], ['b', 'f32']), 'output').change).toBe('additive');
    expect(classifySchemaChange(s(['a', 'f32']), s(['a', 'str']), 'output').change).toBe('breaking');
    expect(classifySchemaChange(s(['a', 'f32'], ['b', 'f32']), s(['a', 'f32']), 'output').change).toBe('breaking');
    expect(classifySchemaChange({ properties: { a: { type: 'number' } }, required: ['a'] }, { properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a'] }, 'input').change).toBe('additive');
    expect(classifySchemaChange('opaque-1', 'opaque-2', 'input').change).toBe('breaking');
  });
  it('demands a major bump for breaking and a minor for additive changes', () => {
    expect(bumpSatisfies('1.2.0', '1.3.0', 'breaking').ok).toBe(false);
    expect(bumpSatisfies('1.2.0', '2.0.0', 'breaking').ok).toBe(true);
    expect(bumpSatisfies('1.2.0', '1.2.1', 'additive').ok).toBe(false);
    expect(bumpSatisfies('1.2.0', '1.3.0', 'additive').ok).toBe(true);
    expect(bumpSatisfies('1.2.0', '1.2.1', 'none').ok).toBe(true);
  });
});

describe('which versions a channel move must justify', async () => {
  const { versionsToCheck } = await import('./gates.guard.ts');
  it('checks new versions and a changed stable, not weight changes or aborts', () => {
    const canary = (w: number) => ({ stable: '1.0.0', candidate: { rolloutId: 'r', version: '1.1.0', weightBps: w } });
    expect(versionsToCheck(null, { stable: '1.0.0' })).toEqual(['1.0.0']);
    expect(versionsToCheck({ stable: '1.0.0' }, canary(100))).toEqual(['1.1.0']);
    expect(versionsToCheck(canary(100), canary(5000))).toEqual([]);
    expect(versionsToCheck(canary(5000), { stable: '1.0.0' })).toEqual([]);
    expect(versionsToCheck(canary(5000), { stable: '1.1.0' })).toEqual(['1.1.0']);
    expect(versionsToCheck({ stable: '1.0.0' }, { stable: '1.0.0', overrides: { ios: { stable: '0.9.0' } } })).toEqual(['0.9.0']);
    expect(versionsToCheck({ stable: '1.0.0' }, { stable: '1.0.0', candidate: { rolloutId: 'r', arms: [{ version: '1.2.0' }, { version: '1.3.0' }] } })).toEqual(['1.2.0', '1.3.0']);
  });
});
