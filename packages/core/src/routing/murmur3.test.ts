import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3Joined, murmur3String, murmur3x86_32 } from './murmur3.ts';

// Published MurmurHash3_x86_32 vectors (SMHasher reference implementation; the table circulated
// with it, e.g. https://stackoverflow.com/q/14747343 "MurmurHash3 test vectors").
const bytes: Array<[number[], number, number]> = [
  [[], 0, 0],
  [[], 1, 0x514e28b7],
  [[], 0xffffffff, 0x81f16f39],
  [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
  [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
  [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
  [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
  [[0x21, 0x43], 0, 0xa0f7b07a],
  [[0x21], 0, 0x72661cf4],
  [[0, 0, 0, 0], 0, 0x2362f9de],
  [[0, 0, 0], 0, 0x85f0b427],
  [[0, 0], 0, 0x30f4c306],
  [[0], 0, 0x514e28b7],
];

const strings: Array<[string, number, number]> = [
  ['', 0, 0],
  ['Hello, world!', 1234, 0xfaf6cdb3],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['ab', 0x9747b28c, 0x74875592],
  ['abc', 0x9747b28c, 0xc84a62dd],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['ππππππππ', 0x9747b28c, 0xd58063c1], // 2-byte UTF-8 code points
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
];

describe('murmur3 x86 32', () => {
  it.each(bytes)('bytes %j seed %i', (input, seed, expected) => {
    expect(murmur3x86_32(Uint8Array.from(input), seed)).toBe(expected);
  });

  it.each(strings)('string %j seed %i', (input, seed, expected) => {
    expect(murmur3String(input, seed)).toBe(expected);
  });

  it('encodes any string (surrogate pairs, lone surrogates) exactly like TextEncoder', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        expect(murmur3String(s, seed)).toBe(murmur3x86_32(enc.encode(s), seed));
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a:b without building the string, same as hashing the joined string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(murmur3Joined(a, b)).toBe(murmur3String(`${a}:${b}`));
      }),
    );
  });

  it('grows its scratch buffer for long keys', () => {
    const long = 'é'.repeat(5000);
    expect(murmur3String(long)).toBe(murmur3x86_32(new TextEncoder().encode(long)));
  });
});
