import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { validateRoutingTable } from './validate.ts';
import type { ValidateOptions } from './validate.ts';

const full = {
  stable: '1.1.0',
  variants: { android: 'int8', '*': 'default' },
  download: { android: { unmeteredOnly: true, maxBytes: 50_000_000 } },
  candidate: {
    rolloutId: 'r1',
    version: '1.2.0',
    weightBps: 500,
    constraints: [
      { attribute: 'appVersion', op: 'semver', value: '>=2.3.0' },
      { attribute: 'region', op: 'notIn', value: ['cn'] },
    ],
  },
  overrides: {
    ios: {
      stable: '1.1.0',
      candidate: {
        rolloutId: 'ab',
        arms: [
          { name: 'b', version: '1.2.0', weightBps: 1000, startBps: 5000 },
          { name: 'c', version: '1.2.0', variant: 'int8', weightBps: 1000, startBps: 0 },
        ],
      },
    },
  },
};

const opts: ValidateOptions = {
  knownVersions: ['1.1.0', '1.2.0'],
  knownVariants: { '1.1.0': ['default', 'int8'], '1.2.0': ['default', 'int8'] },
};

/** Deep-copy `full` and apply `edit`, then expect an error at `path` whose message matches. */
function rejects(edit: (t: any) => void, path: string, message: RegExp, o: ValidateOptions = opts): void {
  const t = structuredClone(full);
  edit(t);
  let err: unknown;
  try {
    validateRoutingTable(t, o);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InvalidInputError);
  expect((err as InvalidInputError).details?.path).toBe(path);
  expect((err as InvalidInputError).message).toMatch(message);
  expect((err as InvalidInputError).message).toContain(path);
}

describe('validateRoutingTable', () => {
  it('accepts the foundation shape and a full table', () => {
    expect(validateRoutingTable({ stable: '1.1.0' })).toEqual({ stable: '1.1.0' });
    expect(validateRoutingTable(full, opts)).toBe(full);
  });

  it.each<[string, (t: any) => void, string, RegExp]>([
    ['stable missing', (t) => delete t.stable, 'stable', /non-empty string/],
    ['stable not semver', (t) => (t.stable = 'latest'), 'stable', /semver version/],
    ['unknown stable', (t) => (t.stable = '9.9.9'), 'stable', /unknown version 9\.9\.9/],
    ['typo field', (t) => (t.candiate = {}), 'candiate', /not a known field/],
    ['weight too high', (t) => (t.candidate.weightBps = 10_001), 'candidate.weightBps', /0\.\.10000/],
    ['weight fractional', (t) => (t.candidate.weightBps = 2.5), 'candidate.weightBps', /integer/],
    ['no rollout id', (t) => delete t.candidate.rolloutId, 'candidate.rolloutId', /non-empty string/],
    ['version and arms', (t) => (t.candidate.arms = []), 'candidate', /either/],
    ['unknown candidate version', (t) => (t.candidate.version = '1.3.0'), 'candidate.version', /unknown version/],
    ['unknown operator', (t) => (t.candidate.constraints[1].op = 'like'), 'candidate.constraints[1].op', /unknown operator "like"/],
    ['bad semver range', (t) => (t.candidate.constraints[0].value = 'not a range'), 'candidate.constraints[0].value', /semver range/],
    ['empty in-list', (t) => (t.candidate.constraints[1].value = []), 'candidate.constraints[1].value', /non-empty list/],
    ['numeric op on string', (t) => (t.candidate.constraints[0] = { attribute: 'x', op: 'lt', value: '3' }), 'candidate.constraints[0].value', /finite number/],
    ['unknown variant on platform', (t) => (t.variants.android = 'coreml'), 'variants', /variant "coreml" that version 1\.1\.0/],
    ['unknown pinned variant', (t) => (t.candidate.variant = 'fp8'), 'candidate.variant', /variant "fp8"/],
    ['bad download', (t) => (t.download.android.maxBytes = -1), 'download.android.maxBytes', /positive integer/],
    ['unknown download field', (t) => (t.download.android.wifi = true), 'download.android.wifi', /not a known field/],
    ['arm weights over 10000', (t) => (t.overrides.ios.candidate.arms = [{ name: 'b', version: '1.2.0', weightBps: 6000 }, { name: 'c', version: '1.2.0', weightBps: 4001 }]), 'overrides.ios.candidate.arms', /sum to 10001/],
    ['overlapping arms', (t) => (t.overrides.ios.candidate.arms[1].startBps = 5500), 'overrides.ios.candidate.arms', /"b" and "c" overlap at bucket 5500/],
    ['arm past the end', (t) => (t.overrides.ios.candidate.arms[0].startBps = 9500), 'overrides.ios.candidate.arms[0]', /runs past 10000/],
    ['mixed starts', (t) => delete t.overrides.ios.candidate.arms[0].startBps, 'overrides.ios.candidate.arms', /every arm or on none/],
    ['duplicate arm', (t) => (t.overrides.ios.candidate.arms[1].name = 'b'), 'overrides.ios.candidate.arms[1].name', /another arm/],
    ['reserved arm', (t) => (t.overrides.ios.candidate.arms[1].name = 'stable'), 'overrides.ios.candidate.arms[1].name', /reserved/],
    ['unknown arm variant', (t) => (t.overrides.ios.candidate.arms[1].variant = 'x'), 'overrides.ios.candidate.arms[1].variant', /variant "x"/],
    ['nested overrides', (t) => (t.overrides.ios.overrides = {}), 'overrides.ios.overrides', /not a known field/],
    ['override not an object', (t) => (t.overrides.ios = 'x'), 'overrides.ios', /must be an object/],
  ])('%s', (_name, edit, path, message) => rejects(edit, path, message));

  it('checks "default" for platforms the variant map does not cover', () => {
    rejects((t) => delete t.variants['*'], 'variants', /variant "default" that version 1\.1\.0/, {
      knownVariants: { '1.1.0': ['int8'] },
    });
  });

  it('skips version and variant checks it has no list for', () => {
    const t = structuredClone(full) as any;
    t.candidate.version = '3.0.0';
    t.candidate.variant = 'anything';
    expect(() => validateRoutingTable(t, { knownVariants: {} })).not.toThrow();
  });

  it('rejects non-objects', () => {
    expect(() => validateRoutingTable(null)).toThrow(/routing table: table must be an object/);
    expect(() => validateRoutingTable([])).toThrow(InvalidInputError);
  });
});
