import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk, sha256Hex } from './chunk-codec.ts';
import { float16Weights } from './storage-test-helpers.ts';
import { BodyBuffers } from '../../http/read-body.ts';
import { encodeFrame, parseFrames } from './frames.ts';

const batch = (chunks: Uint8Array[]) => Buffer.concat(chunks.flatMap((c) => encodeFrame(sha256Hex(c), c)));
const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

describe('chunk batch frames', () => {
  it('round-trips any list of chunks, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), async (chunks) => {
        const frames = await parseFrames(batch(chunks));
        expect(frames.map((f) => Buffer.from(f.bytes).toString('hex'))).toEqual(chunks.map((c) => Buffer.from(c).toString('hex')));
      }),
    );
  });

  it('refuses every strict prefix of a batch as truncated (never a silent short batch)', async () => {
    const whole = batch([randomBytes(100), randomBytes(50)]);
    for (const cut of [1, 35, 36, 100, 137, 171, whole.length - 1]) expect(await codeOf(() => parseFrames(whole.subarray(0, cut)))).toBe('truncated_batch');
  });

  it('refuses a frame whose bytes do not hash to its id, and an oversized frame', async () => {
    const good = randomBytes(64);
    const frame = Buffer.concat(encodeFrame(sha256Hex(good), good));
    frame[40] = frame[40]! ^ 1;
    expect(await codeOf(() => parseFrames(Buffer.concat([batch([randomBytes(10)]), frame])))).toBe('chunk_digest_mismatch');
    const head = Buffer.concat(encodeFrame(sha256Hex(good), good)).subarray(0, 36);
    head.writeUInt32BE(256 * 1024 + 1, 32);
    expect(await codeOf(() => parseFrames(head))).toBe('chunk_too_large');
  });

  it('verifies a body in a shared buffer (hashed on the worker thread) the same way, down to the bad frame', async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(40_000 + i)); // > 1 MiB: not hashed in place
    const plain = batch(chunks);
    const shared = new BodyBuffers().take(plain.length);
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    plain.copy(shared);
    const frames = await parseFrames(shared);
    expect(frames.map((f) => f.id)).toEqual(chunks.map((c) => sha256Hex(c)));
    expect(frames[7]!.bytes.buffer).toBe(shared.buffer); // in place, not copied
    const at = 36 * 31 + chunks.slice(0, 30).reduce((n, c) => n + c.length, 0) + 5; // a byte of frame 30's payload
    shared[at] = shared[at]! ^ 1;
    const err = await parseFrames(shared).then(
      () => null,
      (e: unknown) => e as { code: string; details: { id: string } },
    );
    expect([err?.code, err?.details.id]).toEqual(['chunk_digest_mismatch', sha256Hex(chunks[30]!)]);
  });

  it('with an output buffer, the worker also decides how each chunk is stored, as the event loop would, and compresses it there', async () => {
    // int8-like symbols (zstd keeps them), float16 weights (low gain: raw), noise, tiny ones.
    const symbols = (n: number) => Buffer.from(randomBytes(n).map((b) => b & 0x3f));
    const chunks = Array.from({ length: 48 }, (_, i) => [symbols(60_000 + i), float16Weights(50_000 + 2 * i), randomBytes(30_000 + i), randomBytes(40)][i % 4]!);
    const plain = batch(chunks);
    const buffers = new BodyBuffers();
    const shared = buffers.take(plain.length);
    plain.copy(shared);
    const out = buffers.take(plain.length);
    const frames = await parseFrames(shared, out);
    const kinds = new Set<string>();
    frames.forEach((f, i) => {
      const here = encodeChunk(chunks[i]!);
      expect(f.stored?.compression).toBe(here.compression);
      kinds.add(here.compression);
      if (here.compression === 'zstd') {
        expect(f.stored!.bytes!.buffer).toBe(out.buffer); // written into the output, not a fresh buffer
        expect(Buffer.from(f.stored!.bytes!).equals(Buffer.from(here.bytes))).toBe(true);
        expect(decodeChunk(f.stored!.bytes!, 'zstd', chunks[i]!.length).equals(chunks[i]!)).toBe(true);
      } else expect(f.stored!.bytes).toBeUndefined();
    });
    expect([...kinds].sort()).toEqual(['raw-incompressible', 'raw-low-gain', 'zstd']);
    // Without one (or for a body hashed in place), the event loop encodes as before.
    expect((await parseFrames(shared)).every((f) => f.stored === undefined)).toBe(true);
  });
});
