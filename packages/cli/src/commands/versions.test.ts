import { describe, expect, it } from 'vitest';
import type { Comparison } from '@steward/client';
import { describeComparison } from './versions.ts';

const base: Comparison = {
  a: '1.0.0',
  b: '1.1.0',
  metrics: [{ key: 'f1', a: 0.9, b: 0.95, delta: 0.05000000000000004 }, { key: 'auc', a: 0.8, b: null, delta: null }],
  params: [{ key: 'lr', a: 0.1, b: 0.1, changed: false }, { key: 'opt', a: 'sgd', b: 'adam', changed: true }],
  files: [
    { path: 'same.bin', a: 'x', b: 'x', sizeA: 1, sizeB: 1, status: 'same' },
    { path: 'new.bin', a: null, b: 'y', sizeA: null, sizeB: 2, status: 'added' },
  ],
  schema: { inputChanged: true, outputChanged: false },
  lineage: { parentOfA: null, parentOfB: '1.0.0', relationOfB: 'retrain', bDescendsFromA: true, path: ['1.1.0', '1.0.0'] },
};

describe('describeComparison', () => {
  it('shows metric deltas, changed params and files only, schema and lineage notes', () => {
    const text = describeComparison(base, 'fraud');
    expect(text).toContain('fraud: 1.0.0 -> 1.1.0');
    expect(text).toMatch(/f1\s+0\.9\s+0\.95\s+\+0\.05\n/);
    expect(text).toMatch(/auc\s+0\.8\s+-/);
    expect(text).toMatch(/opt\s+sgd\s+adam/);
    expect(text).not.toMatch(/^lr\s/m);
    expect(text).toMatch(/added\s+new\.bin\s+- -> 2/);
    expect(text).not.toContain('same.bin');
    expect(text).toContain('input schema changed');
    expect(text).toContain('1.1.0 descends from 1.0.0');
  });
  it('says so when nothing differs', () => {
    const same: Comparison = { ...base, metrics: [], params: [], files: [], schema: { inputChanged: false, outputChanged: false }, lineage: { ...base.lineage, bDescendsFromA: false } };
    expect(describeComparison(same, 'fraud')).toBe('fraud: 1.0.0 -> 1.1.0\nno differences');
  });
});
