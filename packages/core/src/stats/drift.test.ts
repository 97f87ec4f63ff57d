import { describe, expect, it } from 'vitest';
import { datasetDrift, columnDrift, type DriftColumn } from './drift.ts';
import { selectDriftMethod } from './drift-method.ts';
import { ksTwoSample } from './ks-two-sample.ts';
import { normedWasserstein } from './wasserstein.ts';
import { mulberry32 } from '../sketches/prng.ts';

const rng = mulberry32(42);
const normal = (n: number, mu = 0): Float64Array =>
  Float64Array.from({ length: n }, () => mu + Math.sqrt(-2 * Math.log(rng.next() + 1e-300)) * Math.cos(2 * Math.PI * rng.next()));
const codes = (n: number, k: number, skew = 0): Int32Array =>
  Int32Array.from({ length: n }, () => Math.min(k - 1, Math.floor(Math.pow(rng.next(), 1 + skew) * k)));

describe('Evidently method selection', () => {
  it.each([
    ['numeric', 1000, 6, 'ks'], ['numeric', 1000, 5, 'chisquare'], ['numeric', 1000, 2, 'z'],
    ['categorical', 1000, 3, 'chisquare'], ['categorical', 1000, 2, 'z'], ['categorical', 10, 1, 'z'],
    ['numeric', 1001, 6, 'wasserstein'], ['numeric', 1001, 5, 'jensenshannon'], ['categorical', 5000, 40, 'jensenshannon'],
  ] as const)('%s, %i reference rows, %i distinct → %s', (kind, rows, nUnique, method) => {
    expect(selectDriftMethod(kind, rows, nUnique)).toBe(method);
  });
});

describe('column and dataset drift', () => {
  it('small reference uses KS and agrees with ksTwoSample; large uses normed Wasserstein', () => {
    const ref = normal(800);
    const cur = normal(900, 0.3);
    const small = columnDrift({ name: 'x', kind: 'numeric', reference: ref, current: cur });
    expect(small.method).toBe('ks');
    expect(small.pValue).toBe(ksTwoSample(ref, cur).pValue);
    expect(small.drifted).toBe(true);
    const bigRef = normal(5000);
    const big = columnDrift({ name: 'x', kind: 'numeric', reference: bigRef, current: normal(5000, 0.3) });
    expect(big.method).toBe('wasserstein');
    expect(big.pValue).toBeNull();
    expect(big.statistic).toBeGreaterThan(0.1);
    expect(big.drifted).toBe(true);
    const same = columnDrift({ name: 'x', kind: 'numeric', reference: bigRef, current: normal(5000) });
    expect(same.drifted).toBe(false);
  });
  it('ignores missing values (NaN numeric, -1 categorical)', () => {
    const ref = Float64Array.from([...normal(50), Number.NaN, Number.NaN]);
    const c = columnDrift({ name: 'x', kind: 'numeric', reference: ref, current: normal(60) });
    expect(c.referenceRows).toBe(50);
    const cat = columnDrift({ name: 'c', kind: 'categorical', reference: [0, 1, 2, -1, 2], current: [0, 1, 1, 2] });
    expect(cat.referenceRows).toBe(4);
    expect(cat.method).toBe('chisquare');
  });
  it('dataset drifts when at least half the columns drift; thresholds and corrections apply', () => {
    const cols: DriftColumn[] = [
      { name: 'a', kind: 'numeric', reference: normal(500), current: normal(500, 0.5) },
      { name: 'b', kind: 'numeric', reference: normal(500), current: normal(500) },
      { name: 'c', kind: 'categorical', reference: codes(3000, 6), current: codes(3000, 6, 1) },
      { name: 'd', kind: 'categorical', reference: codes(500, 2), current: codes(500, 2) },
    ];
    const r = datasetDrift(cols);
    expect(r.columns.map((c) => c.method)).toEqual(['ks', 'ks', 'jensenshannon', 'z']);
    expect(r.columns.map((c) => c.drifted)).toEqual([true, false, true, false]);
    expect(r.share).toBe(0.5);
    expect(r.drifted).toBe(true);
    expect(datasetDrift(cols, { driftShare: 0.75 }).drifted).toBe(false);
    expect(datasetDrift(cols, { thresholds: { jensenshannon: 0.9 } }).columns[2]?.drifted).toBe(false);
    const bonf = datasetDrift(cols, { correction: 'bonferroni' });
    const tested = bonf.columns.filter((c) => c.pValue !== null);
    expect(tested).toHaveLength(3);
    for (const c of tested) expect(c.adjustedPValue).toBeCloseTo(Math.min(1, (c.pValue as number) * 3), 12);
    for (const c of bonf.columns) expect(Number.isFinite(c.effectSize)).toBe(true);
  });
  it('forced PSI and normed Wasserstein match the standalone functions', () => {
    const ref = normal(2000);
    const cur = normal(2000, 0.2);
    const w = columnDrift({ name: 'x', kind: 'numeric', reference: ref, current: cur, method: 'wasserstein' });
    expect(w.statistic).toBeCloseTo(normedWasserstein(ref, cur), 12);
    const p = columnDrift({ name: 'x', kind: 'numeric', reference: ref, current: cur, method: 'psi' });
    expect(p.statistic).toBeGreaterThan(0);
  });
});
