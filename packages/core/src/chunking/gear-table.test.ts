import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GEAR } from './gear-table.ts';

/** Independent re-derivation of the documented recipe, in BigInt (the table itself is literals). */
function splitmix64High32(seed: bigint, count: number): number[] {
  const mask = (1n << 64n) - 1n;
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    out.push(Number(z >> 32n));
  }
  return out;
}

describe('GEAR table', () => {
  it('is splitmix64 seeded with "Steward\\0", high 32 bits of each output', () => {
    const seed = BigInt('0x' + Buffer.from('Steward\0', 'latin1').toString('hex'));
    expect(seed).toBe(0x5374657761726400n);
    expect(Array.from(GEAR, (v) => v >>> 0)).toEqual(splitmix64High32(seed, 256));
  });

  it('matches the known checksum (SHA-256 of the 256 words, little-endian)', () => {
    const bytes = new Uint8Array(1024);
    const view = new DataView(bytes.buffer);
    GEAR.forEach((v, i) => view.setUint32(i * 4, v, true));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('d7a39c390b8d822dec54e61105faccc826238c4a40308d5f8024fd897a31af6a');
  });

  it('has 256 distinct words with balanced bits', () => {
    expect(GEAR.length).toBe(256);
    expect(new Set(GEAR).size).toBe(256);
    // Each bit position is set in roughly half the words (binomial(256, 1/2): sd = 8).
    for (let bit = 0; bit < 32; bit++) {
      const ones = GEAR.reduce((n, v) => n + ((v >>> bit) & 1), 0);
      expect(Math.abs(ones - 128)).toBeLessThan(40);
    }
  });
});
