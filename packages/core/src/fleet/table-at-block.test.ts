import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drainable, tableAt } from './table-at-block.ts';

const history = [
  { table: { stable: '1.0.0' }, usableFromBlock: 0 },
  { table: { stable: '1.1.0' }, usableFromBlock: 10 },
  { table: { stable: '1.2.0' }, usableFromBlock: 25 },
];

describe('tableAt', () => {
  it('returns the last table whose usableFromBlock is at or before the block', () => {
    expect(tableAt(history, 0)?.stable).toBe('1.0.0');
    expect(tableAt(history, 9)?.stable).toBe('1.0.0');
    expect(tableAt(history, 10)?.stable).toBe('1.1.0');
    expect(tableAt(history, 24)?.stable).toBe('1.1.0');
    expect(tableAt(history, 1_000)?.stable).toBe('1.2.0');
  });

  it('is undefined before the first table, and the later record wins a tie', () => {
    expect(tableAt(history.slice(1), 3)).toBeUndefined();
    expect(tableAt([], 3)).toBeUndefined();
    expect(tableAt([...history, { table: { stable: '1.3.0' }, usableFromBlock: 25 }], 30)?.stable).toBe('1.3.0');
  });

  it('rejects an unordered history', () => {
    expect(() => tableAt([history[1]!, history[0]!], 5)).toThrow(/ordered/);
  });

  it('matches a linear scan (independent reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(200)), fc.nat(250), (blocks, at) => {
        const h = [...blocks].sort((a, b) => a - b).map((usableFromBlock, i) => ({ table: i, usableFromBlock }));
        let expected: number | undefined;
        for (const r of h) if (r.usableFromBlock <= at) expected = r.table;
        expect(tableAt(h, at)).toBe(expected);
      }),
    );
  });
});

describe('drainable', () => {
  const at = (currentBlock: number, inflight: number[] = []) =>
    drainable({ inflightSubmittedBlocks: inflight, currentBlock, usableFromBlock: 16, drainBlocks: 3 });

  it('waits for the switch, then for old requests, then for the drain window', () => {
    expect(at(15)).toEqual({ drainable: false, waitingFor: 'switch', notBeforeBlock: 19 });
    expect(at(18, [15, 17])).toEqual({ drainable: false, waitingFor: 'inflight', inflight: 1, notBeforeBlock: 19 });
    expect(at(25, [15])).toMatchObject({ waitingFor: 'inflight', notBeforeBlock: 26 });
    expect(at(18, [16, 17])).toEqual({ drainable: false, waitingFor: 'drain-window', notBeforeBlock: 19 });
    expect(at(19, [16, 17])).toEqual({ drainable: true });
  });

  it('is true exactly when no pre-switch request runs and the window has passed', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(60)), fc.nat(60), fc.nat(40), fc.nat(10), (inflight, current, usable, drain) => {
        const v = drainable({ inflightSubmittedBlocks: inflight, currentBlock: current, usableFromBlock: usable, drainBlocks: drain });
        const expected = current >= usable + drain && inflight.every((b) => b >= usable);
        expect(v.drainable).toBe(expected);
      }),
    );
  });
});
