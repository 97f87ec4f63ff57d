import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tableAt } from '@steward/core';
import { mergeHistory, versionsOf, versionsToKeep } from './served-tables.ts';
import { createTelemetryBuffer } from './telemetry.ts';

const h = [
  { table: { stable: '2.0.0' }, usableFromBlock: 0 },
  { table: { stable: '2.1.0', candidate: { rolloutId: 'r', version: '2.2.0-rc.1', weightBps: 100 } }, usableFromBlock: 16 },
];

describe('served tables', () => {
  it('lists every version a table routes to, overrides and arms included', () => {
    expect(versionsOf({ stable: '1.0.0', candidate: { arms: [{ version: '1.1.0' }, { version: '1.2.0' }] }, overrides: { ios: { stable: '0.9.0' } } }).sort()).toEqual(['0.9.0', '1.0.0', '1.1.0', '1.2.0']);
    expect(versionsOf(null)).toEqual([]);
  });

  it('keeps the old table until the switch, in-flight requests and the drain window allow', () => {
    expect([...versionsToKeep(h, 10, [], 2, null)].sort()).toEqual(['2.0.0', '2.1.0', '2.2.0-rc.1']); // before: old + scheduled
    expect(versionsToKeep(h, 18, [15], 2, null).has('2.0.0')).toBe(true); // block-15 request still running
    expect(versionsToKeep(h, 17, [], 2, null).has('2.0.0')).toBe(true); // drain window (16 + 2)
    expect(versionsToKeep(h, 18, [], 2, null).has('2.0.0')).toBe(false);
    expect(versionsToKeep(h, 30, [], 2, { stable: '3.0.0' }).has('3.0.0')).toBe(true); // pending is preloaded
  });

  it('never drops the version any in-flight request was stamped with (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 5 }),
        (gaps, inflightRaw, now, drain) => {
          let b = 0;
          const hist = [{ table: { stable: '1.0.0' }, usableFromBlock: 0 }, ...gaps.map((g, i) => ({ table: { stable: `1.${i + 1}.0` }, usableFromBlock: (b += g) }))];
          const inflight = inflightRaw.filter((x) => x <= now);
          const keep = versionsToKeep(hist, now, inflight, drain, null);
          for (const x of inflight) expect(keep.has(tableAt(hist, x)!.stable)).toBe(true);
          expect(keep.has(tableAt(hist, now)!.stable)).toBe(true);
        },
      ),
    );
  });

  it('merges a fresh history over what the node held, dropping replaced future records', () => {
    const held = [...h, { table: { stable: '2.3.0' }, usableFromBlock: 30 }];
    const fresh = [{ table: { stable: '2.1.0' }, usableFromBlock: 16 }, { table: { stable: '2.0.0' }, usableFromBlock: 25 }];
    expect(mergeHistory(held, fresh)).toEqual([h[0], ...fresh]);
    expect(mergeHistory(held, [])).toBe(held);
  });
});

describe('telemetry buffer', () => {
  it('counts, takes percentiles, drains, and restores a failed batch', () => {
    const t = createTelemetryBuffer(() => 0);
    for (let i = 1; i <= 100; i++) t.record('m', '1.0.0', { latencyMs: i, error: i % 10 === 0 });
    const [b] = t.drain();
    expect(b).toEqual({ model: 'm', version: '1.0.0', requests: 100, errors: 10, latencyMsP50: 51, latencyMsP99: 100 });
    expect(t.drain()).toEqual([]);
    t.restore([b!]);
    expect(t.drain()[0]).toMatchObject({ requests: 100, errors: 10 });
  });
});
