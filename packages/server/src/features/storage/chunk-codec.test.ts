import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeChunk, decodeChunkInto, encodeChunk } from './chunk-codec.ts';

describe('per-chunk compression', () => {
  it('keeps incompressible bytes raw and compresses redundant ones, round-tripping both', () => {
    const noise = randomBytes(64 * 1024);
    const text = Buffer.from('weights: 0.0 0.0 0.0 1.0\n'.repeat(3000));
    const n = encodeChunk(noise);
    const t = encodeChunk(text);
    expect(n.compression).toBe('none');
    expect(t.compression).toBe('zstd');
    expect(t.bytes.length).toBeLessThan(text.length / 10);
    expect(decodeChunk(n.bytes, n.compression, noise.length).equals(noise)).toBe(true);
    expect(decodeChunk(t.bytes, t.compression, text.length).equals(text)).toBe(true);
  });

  it('stays raw when zstd saves less than 5%', () => {
    // 97% noise + 3% zeros: zstd saves about 3%, under the threshold.
    const mixed = Buffer.concat([randomBytes(62_000), Buffer.alloc(2_000)]);
    expect(encodeChunk(mixed).compression).toBe('none');
    // 80% noise + 20% zeros saves well over 5%.
    expect(encodeChunk(Buffer.concat([randomBytes(52_000), Buffer.alloc(13_000)])).compression).toBe('zstd');
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
