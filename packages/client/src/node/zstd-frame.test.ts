import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Compressor, compress, decompress } from 'zstd-napi';
import { singleZstdFrameSize } from './zstd-frame.ts';

describe('singleZstdFrameSize', () => {
  it('reads the content size of one frame, whatever the data (raw, RLE and compressed blocks)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300_000 }), fc.integer({ min: 0, max: 3 }), (data, kind) => {
        const input = kind === 0 ? new Uint8Array(data.length) : kind === 1 ? data.map((v, i) => (i % 7 === 0 ? v : 0)) : data;
        const frame = compress(Buffer.from(input));
        expect(singleZstdFrameSize(frame)).toBe(input.length);
        expect(decompress(frame).length).toBe(input.length);
      }),
      { numRuns: 40 },
    );
  });

  it('walks past a content checksum', () => {
    const c = new Compressor();
    c.setParameters({ checksumFlag: true });
    const frame = c.compress(Buffer.from('checksummed '.repeat(1000)));
    expect(frame[4]! & 4).toBe(4);
    expect(singleZstdFrameSize(frame)).toBe(12_000);
  });

  it('refuses a second frame, trailing bytes, a truncated frame and non-zstd bytes', () => {
    const small = compress(Buffer.from('a small chunk'));
    const bomb = compress(Buffer.alloc(8 * 1024 * 1024));
    expect(singleZstdFrameSize(Buffer.concat([small, bomb]))).toBeNull();
    expect(singleZstdFrameSize(Buffer.concat([small, Buffer.from([0])]))).toBeNull();
    expect(singleZstdFrameSize(small.subarray(0, small.length - 1))).toBeNull();
    expect(singleZstdFrameSize(Buffer.from('not zstd at all'))).toBeNull();
    expect(singleZstdFrameSize(small)).toBe(13);
  });
});
