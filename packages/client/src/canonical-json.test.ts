import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';

/** Rebuilds every object with its keys in a shuffled order (seeded by fast-check). */
function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = shuffleKeys((value as Record<string, unknown>)[k], rand);
    return out;
  }
  return value;
}

describe('canonicalJson', () => {
  it('matches golden strings', () => {
    expect(canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] })).toBe('{"a":[true,{"c":"x","d":null}],"b":1}');
    expect(canonicalJson({ é: 1, z: 2, Z: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"Z":3,"z":2,"é":1}');
    expect(canonicalJson({ a: undefined, b: [undefined, 1.5e-7] })).toBe('{"b":[null,1.5e-7]}');
    expect(canonicalJson('line\n"q"')).toBe('"line\\n\\"q\\""');
  });

  it('refuses values with no JSON form', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson([Infinity])).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });

  it('does not depend on key insertion order, and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        let x = seed >>> 0 || 1;
        const rand = (): number => {
          x = (x * 1103515245 + 12345) >>> 0; // LCG: deterministic per seed
          return x / 2 ** 32;
        };
        const text = canonicalJson(value);
        expect(canonicalJson(shuffleKeys(value, rand))).toBe(text);
        expect(text).not.toMatch(/^\s|\s$/);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps array order', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });
});
