import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRESH, IN_FLIGHT, PendingTable, STORED, hashId, type PendingState } from './pending-table.ts';

interface Model {
  requestId: string;
  version: string;
  t: number;
  score: number | undefined;
  positive: boolean;
  groups: Record<string, string> | undefined;
  state: PendingState;
}

const held = (table: PendingTable) => {
  const out: Array<Model & { seq: number }> = [];
  for (let s = table.oldest; s >= 0; s = table.after(s)) {
    const r = table.row(s);
    out.push({ requestId: r.requestId, version: r.version, t: r.t, score: r.score, positive: r.predictedPositive, groups: r.groups, state: table.state(s), seq: r.seq });
  }
  return out;
};

describe('PendingTable', () => {
  it('behaves as an insertion-ordered map of request id to prediction under any operations', () => {
    const id = fc.oneof(fc.constantFrom('a', 'b', 'c', 'req-1', 'ü', ''), fc.string({ maxLength: 12 }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id, version: fc.constantFrom('1', '2'), t: fc.integer({ min: 0, max: 1e6 }), score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), positive: fc.boolean(), groups: fc.option(fc.dictionary(fc.constantFrom('sex', 'race'), fc.constantFrom('F', 'M', 'x')), { nil: undefined }), state: fc.constantFrom<PendingState>(FRESH, STORED) }),
      fc.record({ kind: fc.constant('remove' as const), id }),
      fc.record({ kind: fc.constant('removeOldest' as const) }),
      fc.record({ kind: fc.constant('take' as const) }),
      fc.record({ kind: fc.constant('settle' as const), to: fc.constantFrom<PendingState>(FRESH, STORED) }),
      fc.record({ kind: fc.constant('shrink' as const) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
      const table = new PendingTable('m');
      const model = new Map<string, Model>();
      for (const o of ops) {
        if (o.kind === 'add') {
          const h = hashId(o.id);
          expect(table.find(o.id, h) >= 0).toBe(model.has(o.id));
          if (model.has(o.id)) continue;
          table.add(o.id, h, o.version, o.t, o.score, o.positive, o.groups, o.state);
          model.set(o.id, { requestId: o.id, version: o.version, t: o.t, score: o.score, positive: o.positive, groups: o.groups, state: o.state });
        } else if (o.kind === 'remove') {
          const s = table.find(o.id);
          expect(s >= 0).toBe(model.has(o.id));
          if (s >= 0) table.remove(s);
          model.delete(o.id);
        } else if (o.kind === 'removeOldest') {
          const s = table.oldest;
          const first = model.keys().next();
          expect(s < 0).toBe(first.done === true);
          if (s < 0) continue;
          expect(table.row(s).requestId).toBe(first.value);
          table.remove(s);
          model.delete(first.value as string);
        } else if (o.kind === 'take') {
          const want = [...model.values()].filter((m) => m.state === FRESH);
          const c = table.take(FRESH, IN_FLIGHT);
          for (const m of want) m.state = IN_FLIGHT;
          if (want.length === 0) expect(c).toBeUndefined();
          else {
            expect(c!.ids).toEqual(want.map((m) => m.requestId));
            expect([...c!.t]).toEqual(want.map((m) => m.t));
            expect([...c!.version].map((v) => c!.versions[v])).toEqual(want.map((m) => m.version));
            expect([...c!.group].map((g) => (g >= 0 ? c!.groups[g] : undefined))).toEqual(want.map((m) => m.groups));
            expect([...c!.score].map((x) => (Number.isNaN(x) ? undefined : x))).toEqual(want.map((m) => m.score));
          }
        } else if (o.kind === 'shrink') {
          const before = held(table);
          table.shrink();
          expect(held(table)).toEqual(before); // order, states and sequence numbers kept
        } else {
          let n = 0;
          for (const m of model.values()) if (m.state === IN_FLIGHT) { m.state = o.to; n++; }
          expect(table.moveAll(IN_FLIGHT, o.to)).toBe(n);
        }
        expect(table.size).toBe(model.size);
      }
      expect(held(table).map(({ seq: _, ...r }) => r)).toEqual([...model.values()]);
      for (const k of model.keys()) expect(table.row(table.find(k)).requestId).toBe(k);
    }), { numRuns: 300 });
  });

  it('grows past its first capacity and tells a reused slot apart by its sequence number', () => {
    const table = new PendingTable('m');
    for (let i = 0; i < 5000; i++) table.add(`r${i}`, hashId(`r${i}`), '1', i, undefined, false, undefined, FRESH);
    expect(table.size).toBe(5000);
    const s = table.find('r42');
    const seq = table.seq(s);
    table.remove(s);
    const again = table.add('new', hashId('new'), '1', 0, undefined, false, undefined, FRESH);
    expect(again).toBe(s); // the freed slot is reused…
    expect(table.seq(again)).not.toBe(seq); // …under a new sequence number
    expect(table.find('r42')).toBe(-1);
    for (let i = 0; i < 5000; i += 7) if (i !== 42) expect(table.row(table.find(`r${i}`)).t).toBe(i);
    const big = table.capacity;
    for (let i = 0; i < 5000; i++) if (i % 100 !== 0 && i !== 42) table.remove(table.find(`r${i}`));
    const seq100 = table.seq(table.find('r100'));
    table.shrink();
    expect(table.capacity).toBeLessThan(big / 16);
    expect(table.size).toBe(51);
    expect(table.seq(table.find('r100'))).toBe(seq100);
    expect(held(table).map((r) => r.requestId)).toEqual([...Array.from({ length: 50 }, (_, k) => `r${k * 100}`), 'new']);
  });

  it('drops group sets no held prediction uses, keeping those still held', () => {
    const table = new PendingTable('m');
    for (let i = 0; i < 20_000; i++) {
      const id = `r${i}`;
      table.add(id, hashId(id), '1', i, 0.5, true, { user: `u${i}` }, FRESH);
      if (i % 100 !== 0) table.remove(table.find(id)); // most are joined at once
    }
    expect(table.size).toBe(200);
    expect(table.row(table.find('r300')).groups).toEqual({ user: 'u300' });
    expect(table.row(table.find('r19900')).groups).toEqual({ user: 'u19900' });
    const c = table.take(FRESH, IN_FLIGHT)!;
    expect(c.groups).toHaveLength(200);
    expect(c.groups[c.group[3]!]).toEqual({ user: 'u300' });
  });
});
