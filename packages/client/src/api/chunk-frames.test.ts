import fc from 'fast-check';
import { encodedLengthWord, FRAME_ENCODINGS, type FrameEncoding } from '@steward/core';
import { describe, expect, it } from 'vitest';
import { encodeFrames, FRAME_HEADER_BYTES, FrameDecoder, MAX_FRAME_BYTES, type ChunkFrame } from './chunk-frames.ts';

const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const frame = fc.record({ id: hexId, bytes: fc.uint8Array({ maxLength: 3000 }) });

/** `body` cut at `cuts` (positions, any order, repeats allowed), as a network delivers it. */
function pieces(body: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, body.length]) {
    out.push(body.subarray(from, c)); // empty pieces included
    from = c;
  }
  return out;
}

/** An encoded answer: each frame's length word carries its encoding (the bytes are not really zstd here). */
function encodeWithEncodings(frames: (ChunkFrame & { encoding: FrameEncoding })[]): Uint8Array {
  const body = encodeFrames(frames);
  const view = new DataView(body.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at + 32, encodedLengthWord(f.bytes.length, f.encoding), false);
    at += FRAME_HEADER_BYTES + f.bytes.length;
  }
  return body;
}

describe('FrameDecoder', () => {
  it('gives back exactly the frames encoded, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
        const decoder = new FrameDecoder();
        const got = pieces(encodeFrames(frames), cuts).flatMap((p) => decoder.push(p));
        decoder.end();
        expect(got.map((f) => ({ id: f.id, bytes: Buffer.from(f.bytes).toString('hex') }))).toEqual(frames.map((f) => ({ id: f.id, bytes: Buffer.from(f.bytes).toString('hex') })));
      }),
    );
  });

  it('reads encodings from the length word of encoded answers', () => {
    const encoded = fc.record({ id: hexId, bytes: fc.uint8Array({ maxLength: 2000 }), encoding: fc.constantFrom(...FRAME_ENCODINGS) });
    fc.assert(
      fc.property(fc.array(encoded, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
        const decoder = new FrameDecoder({ encoded: true });
        const got = pieces(encodeWithEncodings(frames), cuts).flatMap((p) => decoder.push(p));
        decoder.end();
        expect(got.map((f) => [f.id, f.encoding, f.bytes.length])).toEqual(frames.map((f) => [f.id, f.encoding, f.bytes.length]));
      }),
    );
  });

  it('hands out copies: reusing a network buffer afterwards changes no frame', () => {
    const bytes = new Uint8Array(100).fill(7);
    const body = encodeFrames([{ id: 'ab'.repeat(32), bytes }]);
    const decoder = new FrameDecoder();
    const [f] = [...decoder.push(body.subarray(0, 50)), ...decoder.push(body.subarray(50))];
    body.fill(0);
    expect(f!.bytes).toEqual(bytes);
  });

  it('refuses a frame over the chunk maximum as soon as its header arrives, an unknown encoding, and a stream cut inside a frame', () => {
    const big = new Uint8Array(FRAME_HEADER_BYTES);
    new DataView(big.buffer).setUint32(32, MAX_FRAME_BYTES + 1, false);
    expect(() => new FrameDecoder().push(big)).toThrow(/over the 262144-byte chunk maximum/);
    const unknown = new Uint8Array(FRAME_HEADER_BYTES + 4);
    new DataView(unknown.buffer).setUint32(32, (3 << 30) | 4, false);
    expect(() => new FrameDecoder({ encoded: true }).push(unknown)).toThrow(/unknown frame encoding 3/);
    const body = encodeFrames([{ id: 'cd'.repeat(32), bytes: new Uint8Array(10) }]);
    for (const cut of [1, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + 9]) {
      const decoder = new FrameDecoder();
      expect(decoder.push(body.subarray(0, cut))).toEqual([]);
      expect(() => decoder.end()).toThrow(`chunk stream truncated: ${cut} trailing bytes`);
    }
  });
});
