import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { armStarts, findArm, layoutArms } from './arms.ts';
import type { ArmSpec } from './arms.ts';
import type { Arm } from './types.ts';

const spec = (name: string, weightBps: number): ArmSpec => ({ name, version: '1.0.0', weightBps });

/** Arbitrary list of arms with unique names and weights summing to ≤ 10000. */
const armList = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.array(fc.integer({ min: 0, max: Math.floor(10_000 / names.length) }), { minLength: names.length, maxLength: names.length }).map((ws) =>
      names.map((n, i) => spec(n, ws[i]!)),
    ),
  );

function assertDisjoint(arms: readonly Arm[]): void {
  const iv = arms.filter((a) => a.weightBps > 0).map((a) => [a.startBps!, a.startBps! + a.weightBps] as const).sort((x, y) => x[0] - y[0]);
  for (const [s, e] of iv) expect(s >= 0 && e <= 10_000).toBe(true);
  for (let i = 1; i < iv.length; i++) expect(iv[i]![0]).toBeGreaterThanOrEqual(iv[i - 1]![1]);
}

describe('implicit (cumulative) layout', () => {
  it('starts are prefix sums in declared order', () => {
    expect(armStarts([spec('a', 100), spec('b', 250), spec('c', 5)])).toEqual([0, 100, 350]);
    expect(findArm([spec('a', 100), spec('b', 250)], 99)?.name).toBe('a');
    expect(findArm([spec('a', 100), spec('b', 250)], 100)?.name).toBe('b');
    expect(findArm([spec('a', 100), spec('b', 250)], 350)).toBeUndefined();
  });

  it('appending an arm or reweighting the last arm keeps every start', () => {
    fc.assert(
      fc.property(armList, fc.integer({ min: 0, max: 10_000 }), (arms, w) => {
        const before = armStarts(arms);
        const reweighted = arms.map((a, i) => (i === arms.length - 1 ? { ...a, weightBps: w } : a));
        expect(armStarts(reweighted)).toEqual(before);
        expect(armStarts([...arms, spec('z', w)]).slice(0, arms.length)).toEqual(before);
      }),
    );
  });
});

describe('layoutArms (explicit starts)', () => {
  it('keeps starts when weights change within free space, and reports nothing moved', () => {
    const first = layoutArms(undefined, [spec('a', 1000), spec('b', 1000), spec('c', 1000)]);
    expect(first.arms.map((a) => a.startBps)).toEqual([0, 1000, 2000]);
    // c grows into free space, a shrinks, b is removed, d is added into b's old gap.
    const next = layoutArms(first.arms, [spec('a', 400), spec('c', 5000), spec('d', 900)]);
    expect(next.arms.map((a) => [a.name, a.startBps])).toEqual([['a', 0], ['c', 2000], ['d', 400]]);
    expect(next.moved).toEqual([]);
  });

  it('moves only an arm whose growth would overlap a neighbour, and says so', () => {
    const first = layoutArms(undefined, [spec('a', 1000), spec('b', 1000)]);
    const next = layoutArms(first.arms, [spec('a', 1500), spec('b', 1000)]);
    expect(next.moved).toEqual(['a']);
    expect(next.arms.find((a) => a.name === 'b')?.startBps).toBe(1000);
    assertDisjoint(next.arms);
  });

  it('rejects weights summing past 10000', () => {
    expect(() => layoutArms(undefined, [spec('a', 6000), spec('b', 4001)])).toThrow(InvalidInputError);
  });

  it('property: always disjoint; arms not reported as moved keep their start', () => {
    fc.assert(
      fc.property(armList, armList, (prevSpecs, desired) => {
        const prev = layoutArms(undefined, prevSpecs).arms;
        const next = layoutArms(prev, desired);
        assertDisjoint(next.arms);
        expect(next.arms.map((a) => a.name)).toEqual(desired.map((a) => a.name));
        for (const a of next.arms) {
          const p = prev.find((x) => x.name === a.name);
          if (p !== undefined && !next.moved.includes(a.name)) expect(a.startBps).toBe(p.startBps);
          if (p !== undefined && next.moved.includes(a.name)) expect(a.startBps).not.toBe(p.startBps);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: an arm that does not grow keeps its start and every unit it still covers', () => {
    fc.assert(
      fc.property(armList, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 9999 }), (specs, factors, bucket) => {
        const prev = layoutArms(undefined, specs).arms;
        // Shrink every arm (factor ≤ 1): nothing may move.
        const desired = specs.map((a, i) => ({ ...a, weightBps: Math.floor(a.weightBps * factors[i]!) }));
        const next = layoutArms(prev, desired);
        expect(next.moved).toEqual([]);
        const after = findArm(next.arms, bucket);
        // A unit still inside its arm's shrunk range stays in that arm; others fall to stable.
        if (after !== undefined) expect(findArm(prev, bucket)?.name).toBe(after.name);
      }),
      { numRuns: 500 },
    );
  });

  it('property: growing one arm into free space keeps every start', () => {
    fc.assert(
      fc.property(armList, fc.nat(), fc.integer({ min: 0, max: 10_000 }), (specs, pick, extra) => {
        const prev = layoutArms(undefined, specs).arms;
        const i = pick % specs.length;
        const a = prev[i]!;
        const nextStart = Math.min(10_000, ...prev.filter((x) => x !== a && x.weightBps > 0 && x.startBps! >= a.startBps! + a.weightBps).map((x) => x.startBps!));
        const room = nextStart - (a.startBps! + a.weightBps);
        const desired = specs.map((s, j) => (j === i ? { ...s, weightBps: s.weightBps + (extra % (room + 1)) } : s));
        const next = layoutArms(prev, desired);
        expect(next.moved).toEqual([]);
        expect(next.arms.map((x) => x.startBps)).toEqual(prev.map((x) => x.startBps));
      }),
      { numRuns: 500 },
    );
  });
});
