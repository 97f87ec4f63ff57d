/**
 * Deterministic pseudo-random bytes for tests, golden files and benchmarks (not for secrets).
 * xorshift32 (Marsaglia 2003, shifts 13/17/5); each state word is written little-endian byte by
 * byte, so the output is the same on every platform whatever its endianness.
 */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 0x9e3779b9; // xorshift has a fixed point at 0
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
    out[i + 1] = x >>> 8;
    out[i + 2] = x >>> 16;
    out[i + 3] = x >>> 24;
  }
  for (let shift = 0; i < length; i++, shift += 8) {
    if (shift === 0) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    out[i] = x >>> shift;
  }
  return out;
}
