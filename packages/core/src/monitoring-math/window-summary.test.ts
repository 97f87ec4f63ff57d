import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../sketches/prng.ts';
import { driftFromSketches } from './sketch-drift.ts';
import { buildReferenceProfile } from './reference-profile.ts';
import { uncertainty } from './uncertainty.ts';
import { windowMetrics } from './window-metrics.ts';
import {
  absorbWindowSummary, addLabel, addPrediction, emptyWindowSummary, mergeWindowSummaries, windowSummaryFromJSON, windowSummaryToJSON, type WindowSummary,
} from './window-summary.ts';

function fill(s: WindowSummary, n: number, seed: number, shift = 0): void {
  const rng = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const score = rng.next();
    addPrediction(s, {
      latencyMs: 3 + rng.next() * 10, features: { x: rng.next() * 10 + shift, c: rng.next() < 0.5 ? 'a' : 'b' }, score,
      groups: { sex: i % 3 ? 'M' : 'F' }, sample: { requestId: `r${seed}-${i}`, time: '', features: {}, score },
    }, 0.5, rng);
    if (i % 2 === 0) addLabel(s, { predictedPositive: score >= 0.5, score, groups: { sex: i % 3 ? 'M' : 'F' } }, rng.next() < score);
  }
}

describe('window summaries', () => {
  it('absorb in place equals adding the rows one by one (counts and histograms exactly, moments to rounding), from a structured clone too', () => {
    // Rows drawn apart from the reservoir's random numbers, so both ways see the same rows.
    const rows = (s: WindowSummary, n: number, seed: number, shift: number) => {
      const rng = mulberry32(seed);
      for (let i = 0; i < n; i++) {
        const score = rng.next();
        addPrediction(s, { latencyMs: 3 + rng.next() * 10, features: { x: rng.next() * 10 + shift, c: rng.next() < 0.5 ? 'a' : 'b', z: i % 7 ? null : 'q' }, score, groups: { sex: i % 3 ? 'M' : 'F' }, sample: { requestId: `r${seed}-${i}`, time: '', features: {}, score } }, 0.5, mulberry32(i));
        if (i % 2 === 0) addLabel(s, { predictedPositive: score >= 0.5, score, groups: { sex: i % 3 ? 'M' : 'F' } }, rng.next() < score);
      }
    };
    const seq = emptyWindowSummary(50);
    rows(seq, 300, 1, 0);
    rows(seq, 200, 2, 3);
    const a = emptyWindowSummary(50);
    rows(a, 300, 1, 0);
    const b = emptyWindowSummary(50);
    rows(b, 200, 2, 3);
    absorbWindowSummary(a, structuredClone(b), mulberry32(9));
    const strip = (s: WindowSummary) => {
      const f = s.features as Record<string, { kind: string; moments?: { count: number; missing: number; min: number; max: number }; hist?: object; counts?: object }>;
      return {
        count: s.count, latency: s.latency, classes: { ...s.classes, counts: { ...s.classes.counts } }, groups: s.groups, alarms: s.alarms, scores: s.scores.counts,
        labelled: { ...s.labelled, logLossSum: 0 }, seen: s.reservoir.seen, kept: s.reservoir.items.length,
        x: { ...f.x!.moments, mean: 0, m2: 0 }, xh: { ...f.x!.hist }, c: { ...(f.c!.counts as object), counts: { ...((f.c!.counts as { counts: object }).counts) } },
      };
    };
    expect(strip(a)).toEqual(strip(seq));
    const [ma, ms] = [a.features.x, seq.features.x] as Array<{ kind: 'numeric'; moments: { mean: number; m2: number } }>;
    expect(ma!.moments.mean).toBeCloseTo(ms!.moments.mean, 9);
    expect(ma!.moments.m2 / ms!.moments.m2).toBeCloseTo(1, 9);
    // Categories absorbed into a null-prototype record stay safe to look up by any name.
    expect(Object.getPrototypeOf((a.features.c as { counts: { counts: object } }).counts.counts)).toBe(null);
  });

  it('merge adds counts and keeps JSON round trips lossless', () => {
    const a = emptyWindowSummary(50);
    const b = emptyWindowSummary(50);
    fill(a, 400, 1);
    fill(b, 600, 2);
    const m = mergeWindowSummaries(a, b, mulberry32(1));
    expect(m.count).toBe(1000);
    expect(m.labelled.n).toBe(a.labelled.n + b.labelled.n);
    expect(m.groups.sex!.F!.n + m.groups.sex!.M!.n).toBe(1000);
    expect(m.reservoir.items).toHaveLength(50);
    expect(m.reservoir.seen).toBe(1000);
    const f = m.features.x!;
    expect(f.kind === 'numeric' && f.moments.count).toBe(1000);
    const back = windowSummaryFromJSON(JSON.parse(JSON.stringify(windowSummaryToJSON(m))));
    expect(JSON.parse(JSON.stringify(windowSummaryToJSON(back)))).toEqual(JSON.parse(JSON.stringify(windowSummaryToJSON(m))));
    expect(windowMetrics(back).accuracy).toBe(windowMetrics(m).accuracy);
    expect(a.count).toBe(400); // inputs untouched
  });

  it('rejects a row whose feature type clashes with the window', () => {
    const s = emptyWindowSummary();
    expect(addPrediction(s, { features: { x: 1 } }, 0.5, mulberry32(1))).toBe(true);
    expect(addPrediction(s, { features: { x: 'one' } }, 0.5, mulberry32(1))).toBe(false);
    expect(s.count).toBe(1);
  });

  it('window metrics: accuracy from labels, CBPE close to it on calibrated scores', () => {
    const s = emptyWindowSummary();
    fill(s, 20000, 5);
    const m = windowMetrics(s);
    expect(m.labelled).toBe(10000);
    expect(Math.abs(m.accuracy - m.estimatedAccuracy)).toBeLessThan(0.02);
    expect(m.latencyP95Ms).toBe(20);
  });

  it('flags drift on a shifted column only', () => {
    const rng = mulberry32(11);
    const rows = Array.from({ length: 3000 }, () => [String(rng.next() * 10), rng.next() < 0.5 ? 'a' : 'b']);
    const ref = buildReferenceProfile({ header: ['x', 'c'], rows });
    const same = emptyWindowSummary();
    fill(same, 3000, 12);
    const shifted = emptyWindowSummary();
    fill(shifted, 3000, 13, 3);
    const d0 = driftFromSketches(ref, same.features);
    const d1 = driftFromSketches(ref, shifted.features);
    expect(d0.columns.map((c) => [c.name, c.method, c.drifted])).toEqual([['x', 'wasserstein', false], ['c', 'jensenshannon', false]]);
    expect(d1.columns.find((c) => c.name === 'x')!.drifted).toBe(true);
    expect(d1.columns.find((c) => c.name === 'c')!.drifted).toBe(false);
    // W1 of U(0,10) vs U(3,13) is 3; std of U(0,10) is 10/√12.
    expect(d1.columns[0]!.statistic).toBeCloseTo(3 / (10 / Math.sqrt(12)), 1);
    expect(d1.psi.x).toBeGreaterThan(0.1);
  });

  it('small references get hypothesis tests', () => {
    const rng = mulberry32(3);
    const ref = buildReferenceProfile({ header: ['x'], rows: Array.from({ length: 500 }, () => [String(rng.next() * 10)]) });
    const s = emptyWindowSummary();
    fill(s, 500, 4, 2);
    const d = driftFromSketches(ref, s.features);
    expect(d.columns[0]!.method).toBe('ks');
    expect(d.columns[0]!.pValue!).toBeLessThan(1e-6);
  });

  it('uncertainty scores', () => {
    expect(uncertainty(0.5, 'entropy')).toBeCloseTo(Math.log(2), 12);
    expect(uncertainty(0.9, 'least-confidence')).toBeCloseTo(0.1, 12);
    expect(uncertainty([0.5, 0.3, 0.2], 'margin')).toBeCloseTo(0.8, 12);
    expect(uncertainty(0.5, 'margin')).toBeGreaterThan(uncertainty(0.99, 'margin'));
  });
});
