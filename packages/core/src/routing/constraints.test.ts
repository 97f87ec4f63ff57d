import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { evaluateConstraint, matchesAll } from './constraints.ts';
import type { Constraint, UnitContext } from './types.ts';

const ctx: UnitContext = {
  platform: 'android',
  os: 'android-14',
  appVersion: '2.4.1',
  region: 'eu-west',
  attributes: { tier: 'pro', seats: 12, beta: true, ratio: '0.5', build: '2.0.0-rc.1' },
};

// [constraint, expected]: one row per operator and edge, read as a truth table.
const table: Array<[Constraint, boolean]> = [
  [{ attribute: 'platform', op: 'in', value: ['ios', 'android'] }, true],
  [{ attribute: 'platform', op: 'in', value: ['ios'] }, false],
  [{ attribute: 'platform', op: 'notIn', value: ['ios'] }, true],
  [{ attribute: 'platform', op: 'notIn', value: ['android'] }, false],
  [{ attribute: 'region', op: 'eq', value: 'eu-west' }, true],
  [{ attribute: 'region', op: 'eq', value: 'EU-WEST' }, false], // case-sensitive
  [{ attribute: 'region', op: 'neq', value: 'us-east' }, true],
  [{ attribute: 'os', op: 'neq', value: 'android-14' }, false],
  [{ attribute: 'seats', op: 'in', value: ['12'] }, true], // compared as strings
  [{ attribute: 'seats', op: 'eq', value: 12 }, true],
  [{ attribute: 'beta', op: 'eq', value: true }, true],
  [{ attribute: 'beta', op: 'eq', value: 'true' }, true],
  [{ attribute: 'appVersion', op: 'semver', value: '>=2.3.0 <3' }, true],
  [{ attribute: 'appVersion', op: 'semver', value: '^2.5' }, false],
  [{ attribute: 'appVersion', op: 'semver', value: '~2.4.0' }, true],
  [{ attribute: 'build', op: 'semver', value: '>=1.0.0' }, false], // prereleases only match ranges that name them
  [{ attribute: 'build', op: 'semver', value: '>=2.0.0-rc.0' }, true],
  [{ attribute: 'tier', op: 'semver', value: '*' }, false], // not a version
  [{ attribute: 'seats', op: 'lt', value: 12 }, false],
  [{ attribute: 'seats', op: 'lte', value: 12 }, true],
  [{ attribute: 'seats', op: 'gt', value: 11.5 }, true],
  [{ attribute: 'seats', op: 'gte', value: 13 }, false],
  [{ attribute: 'ratio', op: 'lt', value: 1 }, true], // numeric strings compare as numbers
  [{ attribute: 'tier', op: 'gt', value: 0 }, false], // non-numeric never compares
  [{ attribute: 'beta', op: 'gte', value: 0 }, false], // booleans are not numbers
  // Missing attributes fail every operator, negative ones included.
  [{ attribute: 'missing', op: 'notIn', value: ['x'] }, false],
  [{ attribute: 'missing', op: 'neq', value: 'x' }, false],
  [{ attribute: 'missing', op: 'in', value: ['x'] }, false],
];

describe('evaluateConstraint', () => {
  it.each(table)('%j -> %s', (c, expected) => {
    expect(evaluateConstraint(c, ctx)).toBe(expected);
  });

  it('throws InvalidInputError on an unknown operator, with or without the attribute', () => {
    const bad = { attribute: 'region', op: 'startsWith', value: 'eu' } as unknown as Constraint;
    expect(() => evaluateConstraint(bad, ctx)).toThrow(InvalidInputError);
    expect(() => evaluateConstraint({ ...bad, attribute: 'nope' } as Constraint, ctx)).toThrow(/unknown constraint operator "startsWith"/);
  });

  it('matchesAll is a conjunction; the empty list holds', () => {
    expect(matchesAll([], {})).toBe(true);
    expect(matchesAll([table[0]![0], table[4]![0]], ctx)).toBe(true);
    expect(matchesAll([table[0]![0], table[1]![0]], ctx)).toBe(false);
  });
});
