import { join, relative, isAbsolute } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertValidKey, assertValidPrefix, compareKeys } from './object-key.ts';

const accepts = (f: (k: string) => void, k: string): boolean => {
  try {
    f(k);
    return true;
  } catch {
    return false;
  }
};

describe('object keys', () => {
  it('never lets an accepted key escape the store root', () => {
    // Keys built from characters that matter for paths, so escapes are likely to be generated.
    const key = fc.array(fc.constantFrom('a', '.', '/', '\\', '\0', 'é', '-'), { maxLength: 12 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(key, (k) => {
        if (!accepts(assertValidKey, k)) return;
        const rel = relative('/root', join('/root', ...k.split('/')));
        expect(rel === '..' || rel.startsWith('../') || isAbsolute(rel) || rel === '').toBe(false);
        expect(rel).toBe(k);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid key as a prefix too', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { minLength: 1, maxLength: 5 }), (segs) => {
        const k = segs.join('/');
        expect(accepts(assertValidKey, k)).toBe(accepts(assertValidPrefix, k));
      }),
    );
  });

  it('orders like the UTF-8 bytes (S3 list order)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000 },
    );
    // UTF-16 order would put U+FFFD after the astral emoji; byte order puts it before.
    expect(compareKeys('\uFFFD', '😀')).toBeLessThan(0);
  });
});
