import { describe, expect, it } from 'vitest';
import { alignedBases, closestRecipe, MAX_BASES } from './delta-bases.ts';

const list = (spec: [string, number][]) => spec.map(([id, size]) => ({ id, size }));

describe('delta bases', () => {
  it('picks the old recipe sharing the most chunks', () => {
    const target = list([['a', 10], ['b', 10], ['c', 10]]);
    const one = list([['a', 10], ['x', 10]]);
    const two = list([['a', 10], ['b', 10], ['y', 10]]);
    expect(closestRecipe(target, [one, two])).toBe(two);
    expect(closestRecipe(target, [list([['z', 1]])])).toBeNull();
  });

  it('aligns on the nearest shared chunk, so a grown header still lines up', () => {
    // old: h(100) a(50) B(60) c(40); new: H(130) a(50) B'(60) c(40): the header grew by 30.
    const old = list([['h', 100], ['a', 50], ['B', 60], ['c', 40]]);
    const target = list([['H', 130], ['a', 50], ['B2', 60], ['c', 40]]);
    const bases = alignedBases(target, old, new Set(['H', 'B2']));
    expect(bases.get('B2')).toEqual(['B']);
    // Before the first shared chunk, the next one aligns: new H [0,130) is old [-30,100) → h.
    expect(bases.get('H')).toEqual(['h']);
  });

  it('takes every old chunk overlapping the aligned range, capped', () => {
    const old = list(Array.from({ length: 20 }, (_, i) => [`o${i}`, 10] as [string, number]));
    const target = list([['o0', 10], ['N', 25], ['wide', 150]]);
    const bases = alignedBases(target, old, new Set(['N', 'wide']));
    expect(bases.get('N')).toEqual(['o1', 'o2', 'o3']); // new [10,35) ↔ old [10,35)
    expect(bases.get('wide')).toHaveLength(MAX_BASES);
    expect(bases.get('wide')![0]).toBe('o3');
  });

  it('gives nothing when no chunk is shared', () => {
    expect(alignedBases(list([['x', 5]]), list([['y', 5]]), new Set(['x'])).size).toBe(0);
  });
});
