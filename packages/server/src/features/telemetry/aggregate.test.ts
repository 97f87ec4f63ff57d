import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aggregateWindows, histogramQuantile, type WindowCounts } from './aggregate.ts';

const w = (o: Partial<WindowCounts>): WindowCounts => ({ requests: 0, errors: 0, shadowCompared: 0, shadowAgreed: 0, counters: {}, ...o });

describe('telemetry aggregation', () => {
  it('adds counters and derives rates; no traffic means no error rate, not 0', () => {
    const m = aggregateWindows([w({ requests: 100, errors: 2, counters: { conversions: 10 } }), w({ requests: 300, errors: 6, shadowCompared: 50, shadowAgreed: 49, counters: { conversions: 20 } })]);
    expect(m.get('requests')).toBe(400);
    expect(m.get('errorRate')).toBeCloseTo(0.02, 12);
    expect(m.get('shadowAgreement')).toBeCloseTo(0.98, 12);
    expect(m.get('rate.conversions')).toBeCloseTo(30 / 400, 12);
    const empty = aggregateWindows([w({})]);
    expect(empty.has('errorRate')).toBe(false);
    expect(aggregateWindows([]).size).toBe(0);
  });

  it('merges histograms with the same bounds exactly', () => {
    const bounds = [10, 20, 50, 100];
    // 100 requests: 50 in (0,10], 40 in (10,20], 10 in (20,50]. p50 = 10 (end of bucket 0), p90 = 20, p95 = 20 + 0.5*30 = 35.
    const m = aggregateWindows([w({ requests: 60, latency: { histogram: { boundsMs: bounds, counts: [30, 25, 5, 0, 0] } } }), w({ requests: 40, latency: { histogram: { boundsMs: bounds, counts: [20, 15, 5, 0, 0] } } })]);
    expect(m.get('latencyP50')).toBeCloseTo(10, 12);
    expect(m.get('latencyP90')).toBeCloseTo(20, 12);
    expect(m.get('latencyP95')).toBeCloseTo(35, 12);
  });

  it('falls back to a request-weighted mean of percentiles', () => {
    const m = aggregateWindows([w({ requests: 100, latency: { percentiles: { p95: 100 } } }), w({ requests: 300, latency: { percentiles: { p95: 200 } } })]);
    expect(m.get('latencyP95')).toBeCloseTo(175, 12);
    expect(m.has('latencyP99')).toBe(false);
  });

  it('histogram quantiles are monotonic in q and stay inside the bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 4, maxLength: 4 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (counts, a, b) => {
        const h = { boundsMs: [5, 25, 125], counts };
        const qa = histogramQuantile(h, Math.min(a, b));
        const qb = histogramQuantile(h, Math.max(a, b));
        if (counts.every((c) => c === 0)) return expect(qa).toBeUndefined();
        expect(qa!).toBeLessThanOrEqual(qb! + 1e-9);
        expect(qb!).toBeLessThanOrEqual(125);
      }),
    );
  });
});
