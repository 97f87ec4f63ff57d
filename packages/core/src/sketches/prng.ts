/**
 * Seeded PRNG for sketches (core reads no clock or crypto): mulberry32, 32-bit state, period 2^32.
 * Good enough for KLL coin flips and reservoir slots, not for cryptography. The state is a plain
 * number so sketches can serialise it and replay the same choices after a round trip.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Current state, to serialise. */
  state(): number;
}

export function mulberry32(seed: number): Random {
  let s = seed >>> 0;
  return {
    next(): number {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => s,
  };
}
