import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDepends, parseKeyValues, parseMetrics, parseModelRef, parseParamValue, parseParams, parseTime, UsageError } from './args.ts';

describe('parseKeyValues', () => {
  it('splits at the first = and keeps the rest of the value', () => {
    expect(parseKeyValues(['a=1', 'url=x=y', 'empty='])).toEqual({ a: '1', url: 'x=y', empty: '' });
  });
  it('refuses pairs without a key or =, and repeated keys', () => {
    for (const bad of [['novalue'], ['=v'], ['a=1', 'a=2']]) expect(() => parseKeyValues(bad)).toThrow(UsageError);
  });
  it('round-trips any key without = and any value', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((k) => !k.includes('=') && k.trim() === k && k !== ''), fc.string(), (k, v) => {
        expect(parseKeyValues([`${k}=${v}`])).toEqual({ [k]: v });
      }),
    );
  });
});

describe('param and metric values', () => {
  it('parses numbers and booleans, leaves other strings alone', () => {
    expect(parseParams(['lr=0.001', 'epochs=10', 'neg=-2.5e3', 'shuffle=true', 'fp16=false', 'opt=adam', 'hex=0x10', 'ver=1.2.3', 'T=True'])).toEqual({
      lr: 0.001, epochs: 10, neg: -2500, shuffle: true, fp16: false, opt: 'adam', hex: '0x10', ver: '1.2.3', T: 'True',
    });
    expect(parseParamValue('')).toBe('');
  });
  it('requires metrics to be numbers', () => {
    expect(parseMetrics(['f1=0.93', 'auc=.8'])).toEqual({ f1: 0.93, auc: 0.8 });
    expect(() => parseMetrics(['f1=high'])).toThrow(/metric f1 must be a number/);
  });
});

describe('parseModelRef', () => {
  it('splits org/name@ref at the first @', () => {
    expect(parseModelRef('acme/fraud@1.2.0-rc.1')).toEqual({ model: 'acme/fraud', ref: '1.2.0-rc.1' });
    expect(parseModelRef('fraud@production')).toEqual({ model: 'fraud', ref: 'production' });
    expect(parseDepends(['tokenizer@^2', 'emb@>=1.0 <2'])).toEqual({ tokenizer: '^2', emb: '>=1.0 <2' });
  });
  it('uses the default ref only when allowed and refuses empty parts', () => {
    expect(parseModelRef('fraud', 'latest')).toEqual({ model: 'fraud', ref: 'latest' });
    for (const bad of ['fraud', '@1.0.0', 'fraud@']) expect(() => parseModelRef(bad)).toThrow(UsageError);
  });
});

describe('parseTime', () => {
  const now = new Date('2025-03-10T12:00:00Z');
  it('accepts ISO times and durations ago', () => {
    expect(parseTime('2025-01-02T03:04:05+01:00', now)).toBe('2025-01-02T02:04:05.000Z');
    expect(parseTime('7d', now)).toBe('2025-03-03T12:00:00.000Z');
    expect(parseTime('90m', now)).toBe('2025-03-10T10:30:00.000Z');
    expect(() => parseTime('yesterday', now)).toThrow(UsageError);
  });
});
