import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolve, validateRoutingTable, type RoutingTable } from '@steward/core';
import { abTable, canaryTable, finalTable } from './plan.ts';
import type { RolloutSpec } from './rollouts.types.ts';
import { planSteps } from './steps.ts';

const prev: RoutingTable = { stable: '1.0.0', variants: { '*': 'default' }, overrides: { ios: { stable: '0.9.0' } } };
const spec: RolloutSpec = { version: '1.1.0', strategy: 'canary', steps: [], platformVariants: { android: 'int8' }, download: { android: { unmeteredOnly: true } } };

describe('rollout tables', () => {
  it('ramps monotonically: a unit on the candidate at w stays on it at any higher weight, on every platform', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('android', 'ios', 'web'), (a, b, unit, platform) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const before = resolve(canaryTable(prev, spec, 'ro_1', lo), unit, { platform });
        const after = resolve(canaryTable(prev, spec, 'ro_1', hi), unit, { platform });
        if (before.arm === 'candidate') expect(after.arm).toBe('candidate');
      }),
    );
  });

  it('keeps platform overrides inside the rollout and pins per-platform variants on the candidate only', () => {
    const t = canaryTable(prev, spec, 'ro_1', 10_000);
    expect(resolve(t, 'u', { platform: 'android' })).toEqual({ version: '1.1.0', variant: 'int8', arm: 'candidate' });
    expect(resolve(t, 'u', { platform: 'ios' })).toEqual({ version: '1.1.0', variant: 'default', arm: 'candidate' });
    expect(resolve(canaryTable(prev, spec, 'ro_1', 0), 'u', { platform: 'ios' }).version).toBe('0.9.0');
    expect(t.download).toEqual({ android: { unmeteredOnly: true } });
    const known = { knownVersions: ['0.9.0', '1.0.0', '1.1.0'], knownVariants: { '1.1.0': ['default', 'int8'], '1.0.0': ['default'], '0.9.0': ['default'] } };
    for (const x of [t, abTable(prev, spec, 'ro_1'), finalTable(prev, spec)]) expect(validateRoutingTable(x, known)).toBe(x);
    expect(finalTable(prev, spec)).toEqual({ stable: '1.1.0', variants: { android: 'int8', '*': 'default' }, download: { android: { unmeteredOnly: true } } });
  });

  it('splits A/B into disjoint arms that cover the buckets', () => {
    const t = abTable({ stable: '1.0.0' }, { ...spec, platformVariants: undefined, splitBps: 3000 }, 'ro_2');
    let b = 0;
    for (let i = 0; i < 2000; i++) if (resolve(t, `u${i}`).arm === 'b') b++;
    expect(b / 2000).toBeGreaterThan(0.25);
    expect(b / 2000).toBeLessThan(0.35);
  });

  it('plans each strategy', () => {
    const a = { successCondition: 'errorRate < 0.1', intervalMs: 1000 };
    expect(planSteps('immediate', [], undefined)).toEqual([{ kind: 'weight', weightBps: 10_000 }]);
    expect(planSteps('blue-green', [], a).map((s) => s.kind)).toEqual(['weight', 'analysis', 'weight']);
    expect(planSteps('canary', [{ kind: 'weight', weightBps: 1000 }, { kind: 'weight', weightBps: 10_000 }], a).map((s) => s.kind)).toEqual(['weight', 'analysis', 'weight']);
    expect(planSteps('ab', [], undefined).map((s) => s.kind)).toEqual(['split', 'pause']);
  });
});
