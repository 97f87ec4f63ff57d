import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { bucketOf } from './bucket.ts';
import { resolve } from './resolve.ts';
import type { RoutingTable } from './types.ts';

const canary = (weightBps: number): RoutingTable => ({
  stable: '1.1.0',
  candidate: { rolloutId: 'r7', version: '1.2.0', weightBps },
});

describe('resolve', () => {
  it('serves the foundation shape { stable } to everyone', () => {
    expect(resolve({ stable: '1.1.0' }, 'u1')).toEqual({ version: '1.1.0', variant: 'default', arm: 'stable' });
    expect(resolve({ stable: '1.1.0' }, undefined, { platform: 'ios' })).toEqual({ version: '1.1.0', variant: 'default', arm: 'stable' });
  });

  it('sends a unit to the candidate iff its bucket < weightBps', () => {
    const wrong: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const key = `user-${i}`;
      const d = resolve(canary(2500), key);
      const want = bucketOf('r7', key) < 2500 ? '1.2.0 candidate' : '1.1.0 stable';
      if (`${d.version} ${d.arm}` !== want) wrong.push(key);
    }
    expect(wrong).toEqual([]);
  });

  it('gives about weightBps of traffic to the candidate', () => {
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (resolve(canary(1000), `k${i}`).arm === 'candidate') n++;
    // Binomial(20000, 0.1): sd = 42.4; 5 sd bounds.
    expect(n).toBeGreaterThan(2000 - 212);
    expect(n).toBeLessThan(2000 + 212);
  });

  it('0 bps sends nobody, 10000 bps sends every keyed unit', () => {
    for (let i = 0; i < 500; i++) {
      expect(resolve(canary(0), `u${i}`).arm).toBe('stable');
      expect(resolve(canary(10_000), `u${i}`).arm).toBe('candidate');
    }
  });

  it('monotonic ramp: raising the weight never moves a unit from candidate back to stable', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (key, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        fc.pre(key !== '');
        if (resolve(canary(lo), key).arm === 'candidate') expect(resolve(canary(hi), key).arm).toBe('candidate');
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps anonymous units (no key) on stable, whatever the weight', () => {
    for (const key of [undefined, null, '']) expect(resolve(canary(10_000), key).arm).toBe('stable');
  });

  it('applies platform overrides as whole tables, and variants per platform', () => {
    const t: RoutingTable = {
      stable: '1.1.0',
      variants: { android: 'int8', '*': 'fp16' },
      candidate: { rolloutId: 'r7', version: '1.2.0', weightBps: 10_000 },
      overrides: { ios: { stable: '1.0.0', variants: { ios: 'coreml' } } },
    };
    expect(resolve(t, 'u', { platform: 'ios' })).toEqual({ version: '1.0.0', variant: 'coreml', arm: 'stable' });
    expect(resolve(t, 'u', { platform: 'android' })).toEqual({ version: '1.2.0', variant: 'int8', arm: 'candidate' });
    expect(resolve(t, 'u', { platform: 'web' })).toEqual({ version: '1.2.0', variant: 'fp16', arm: 'candidate' });
    expect(resolve(t, 'u')).toEqual({ version: '1.2.0', variant: 'fp16', arm: 'candidate' });
    // Inherited object properties are not platforms.
    expect(resolve(t, 'u', { platform: 'constructor' }).version).toBe('1.2.0');
    expect(resolve({ stable: '1.1.0', variants: { a: 'x' } }, 'u', { platform: 'toString' }).variant).toBe('default');
  });

  it('pins the candidate variant over the platform map', () => {
    const t: RoutingTable = { stable: '1.1.0', variants: { '*': 'fp16' }, candidate: { rolloutId: 'r', version: '1.2.0', weightBps: 10_000, variant: 'int8' } };
    expect(resolve(t, 'u')).toEqual({ version: '1.2.0', variant: 'int8', arm: 'candidate' });
  });

  it('enrols only units that meet every step constraint', () => {
    const t: RoutingTable = {
      stable: '1.1.0',
      candidate: {
        rolloutId: 'r',
        version: '1.2.0',
        weightBps: 10_000,
        constraints: [
          { attribute: 'region', op: 'in', value: ['eu', 'us'] },
          { attribute: 'appVersion', op: 'semver', value: '>=2.3.0' },
        ],
      },
    };
    expect(resolve(t, 'u', { region: 'eu', appVersion: '2.4.0' }).arm).toBe('candidate');
    expect(resolve(t, 'u', { region: 'eu', appVersion: '2.2.9' }).arm).toBe('stable');
    expect(resolve(t, 'u', { region: 'ap', appVersion: '2.4.0' }).arm).toBe('stable');
    expect(resolve(t, 'u', {}).arm).toBe('stable');
  });

  it('throws InvalidInputError on an unknown operator in an unvalidated table', () => {
    const t = { stable: '1.1.0', candidate: { rolloutId: 'r', version: '1.2.0', weightBps: 1, constraints: [{ attribute: 'os', op: 'like', value: 'x' }] } };
    expect(() => resolve(t as unknown as RoutingTable, 'u', { os: 'ios' })).toThrow(InvalidInputError);
    expect(() => resolve(t as unknown as RoutingTable, 'u', {})).toThrow(/unknown constraint operator "like"/);
  });

  it('routes A/B/n arms by bucket range and the rest to stable', () => {
    const t: RoutingTable = {
      stable: '1.1.0',
      candidate: {
        rolloutId: 'ab1',
        arms: [
          { name: 'b', version: '1.2.0', weightBps: 3000 },
          { name: 'c', version: '1.2.0', variant: 'int8', weightBps: 2000 },
        ],
      },
    };
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const key = `u${i}`;
      const b = bucketOf('ab1', key);
      const d = resolve(t, key);
      const want = b < 3000 ? '1.2.0 default b' : b < 5000 ? '1.2.0 int8 c' : '1.1.0 default stable';
      if (`${d.version} ${d.variant} ${d.arm}` !== want) wrong.push(key);
      seen.add(d.arm);
    }
    expect(wrong).toEqual([]);
    expect([...seen].sort()).toEqual(['b', 'c', 'stable']);
  });
});
