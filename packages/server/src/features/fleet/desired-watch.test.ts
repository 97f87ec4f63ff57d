import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDesiredWatch, parseWait } from './desired-watch.ts';

describe('parseWait', () => {
  it('reads seconds, milliseconds and bare seconds up to the bound', () => {
    expect(parseWait(undefined)).toBe(0);
    expect(parseWait('30s')).toBe(30_000);
    expect(parseWait('500ms')).toBe(500);
    expect(parseWait('7')).toBe(7000);
    expect(parseWait('60s')).toBe(60_000);
    expect(parseWait('2s', 1000 * 5)).toBe(2000);
    expect(parseWait('1.5')).toBe(1500);
    expect(parseWait('1 s')).toBe(1000);
  });
  it('refuses anything else with invalid_wait', () => {
    for (const w of ['61s', '-1', '10m', 'abc', '1e3', '999999999', '1w'])
      expect(() => parseWait(w), w).toThrow(expect.objectContaining({ code: 'invalid_wait', status: 400 }));
    fc.assert(fc.property(fc.string(), (w) => {
      try {
        const ms = parseWait(w);
        expect(ms >= 0 && ms <= 60_000).toBe(true);
      } catch (err) {
        expect((err as { code: string }).code).toBe('invalid_wait');
      }
    }));
  });
});

describe('createDesiredWatch', () => {
  it('wakes the waiters of a channel, not the others', async () => {
    const w = createDesiredWatch({ max: 10 });
    const a = w.wait('n1', ['m\0a'], [0], 10_000);
    const b = w.wait('n2', ['m\0b'], [0], 50);
    w.notify('m\0a');
    expect(await a).toBe('changed');
    expect(await b).toBe('timeout');
    expect(w.size()).toBe(0);
  });
  it('returns at once when the channel changed between the read and the wait', async () => {
    const w = createDesiredWatch({ max: 10 });
    const seen = w.seq('m\0a');
    w.notify('m\0a');
    expect(await w.wait('n1', ['m\0a'], [seen], 10_000)).toBe('changed');
  });
  it('replaces a node\'s older wait, bounds the count, releases on abort and close', async () => {
    const w = createDesiredWatch({ max: 2 });
    const first = w.wait('n1', ['k'], [0], 10_000);
    const second = w.wait('n1', ['k'], [0], 10_000);
    expect(await first).toBe('replaced');
    const ac = new AbortController();
    const other = w.wait('n2', ['k'], [0], 10_000, ac.signal);
    await expect(w.wait('n3', ['k'], [0], 10_000)).rejects.toMatchObject({ code: 'too_many_waiting', status: 429 });
    ac.abort();
    expect(await other).toBe('aborted');
    w.close();
    expect(await second).toBe('closed');
    expect(await w.wait('n4', ['k'], [0], 10_000)).toBe('closed');
    expect(w.size()).toBe(0);
  });
});
