import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compressAgainst, decodeChunk, decodeChunkInto, encodeChunk, wireChunk } from './chunk-codec.ts';
import { float16Weights as lowGain } from './storage-test-helpers.ts';

/** `n` bytes drawn uniformly from `values` symbols (64: zstd saves ~25 %). */
function symbols(n: number, values: number): Buffer {
  const r = randomBytes(2 * n);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (r.readUInt16LE(2 * i) * values) >>> 16;
  return b;
}

describe('per-chunk compression', () => {
  it('keeps incompressible bytes raw and compresses redundant ones, round-tripping both', () => {
    const noise = randomBytes(64 * 1024);
    const text = Buffer.from('weights: 0.0 0.0 0.0 1.0\n'.repeat(3000));
    const n = encodeChunk(noise);
    const t = encodeChunk(text);
    expect(n.compression).toBe('raw-incompressible');
    expect(t.compression).toBe('zstd');
    expect(t.bytes.length).toBeLessThan(text.length / 10);
    expect(decodeChunk(n.bytes, n.compression, noise.length).equals(noise)).toBe(true);
    expect(decodeChunk(t.bytes, t.compression, text.length).equals(text)).toBe(true);
  });

  it('stores raw, saying why, what zstd shrinks by under 10 %, and compresses the rest', () => {
    // Probed chunks (over 32 KiB) and small ones (compressed whole) decide the same way.
    for (const n of [64 * 1024, 20_000]) {
      const low = encodeChunk(lowGain(n));
      expect([n, low.compression]).toEqual([n, 'raw-low-gain']);
      expect(low.bytes.length).toBe(n);
      expect(encodeChunk(randomBytes(n)).compression).toBe('raw-incompressible');
      // 64 values: zstd saves ~25 %.
      const b = symbols(n, 64);
      const z = encodeChunk(b);
      expect(z.compression).toBe('zstd');
      expect(z.bytes.length).toBeLessThanOrEqual(n * 0.9);
      expect(decodeChunk(z.bytes, z.compression, n).equals(b)).toBe(true);
    }
    // Tiny chunks are never worth compressing.
    expect(encodeChunk(Buffer.alloc(63)).compression).toBe('raw-incompressible');
  });

  it('fetch answers use the recorded reason: low-gain chunks are zstd\'d, incompressible ones sent as they are, legacy ones probed', () => {
    const low = lowGain(64 * 1024);
    const w = wireChunk(low, 'raw-low-gain', low.length);
    expect(w.encoding).toBe('zstd');
    expect(w.bytes.length).toBeLessThan(low.length * 0.97);
    // The record is trusted: no attempt on a chunk the push found incompressible (these bytes would shrink).
    const text = Buffer.from('weights: 0.0 0.0 0.0 1.0\n'.repeat(3000));
    expect(wireChunk(text, 'raw-incompressible', text.length)).toEqual({ bytes: text, encoding: 'raw' });
    // Chunks stored before the reason was recorded ('none') are probed, then compressed when that saves.
    expect(wireChunk(text, 'none', text.length).encoding).toBe('zstd');
    const noise = randomBytes(64 * 1024);
    expect(wireChunk(noise, 'none', noise.length).encoding).toBe('raw');
    // A dictionary holding the old bytes beats plain zstd for an edited low-gain chunk.
    const edited = Buffer.from(low);
    randomBytes(500).copy(edited, 30_000);
    const d = wireChunk(edited, 'raw-low-gain', edited.length, compressAgainst(edited, 'raw-low-gain', edited.length, low));
    expect(d.encoding).toBe('zstd-dict');
    expect(d.bytes.length).toBeLessThan(1000);
    // A dictionary unrelated to the chunk does not beat raw: no frame to send or remember.
    expect(compressAgainst(noise, 'raw-incompressible', noise.length, low)).toBeNull();
    expect(wireChunk(noise, 'raw-incompressible', noise.length, null)).toEqual({ bytes: noise, encoding: 'raw' });
  });

  it('reads chunks stored by every earlier rule (legacy raw as \'none\')', () => {
    const noise = randomBytes(1000);
    for (const c of ['none', 'raw-low-gain', 'raw-incompressible']) expect(decodeChunk(noise, c, noise.length).equals(noise)).toBe(true);
  });

  it('rejects stored bytes that decode to the wrong length', () => {
    const t = encodeChunk(Buffer.alloc(10_000));
    expect(() => decodeChunk(t.bytes, t.compression, 9_999)).toThrow(/decodes to 10000/);
  });

  it('decodes into a reused scratch buffer, and rejects a wrong length there too', () => {
    const text = Buffer.from('weights: 0.5 0.25\n'.repeat(4000));
    const t = encodeChunk(text);
    const scratch = Buffer.alloc(256 * 1024);
    const out = decodeChunkInto(t.bytes, t.compression, text.length, scratch);
    expect(out.equals(text)).toBe(true);
    expect(out.buffer).toBe(scratch.buffer);
    expect(() => decodeChunkInto(t.bytes, t.compression, text.length + 1, scratch)).toThrow(/decodes to/);
    expect(() => decodeChunkInto(t.bytes, t.compression, text.length - 1, scratch)).toThrow();
  });
});
