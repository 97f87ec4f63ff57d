import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEvent, sealBlocks } from './hash-chain.ts';
import { verifyChain } from './verify-chain.ts';

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// Events with unicode strings and numbers, so byte positions land in multi-byte characters too.
const event = fc.record({
  kind: fc.constantFrom('channel.set', 'version.committed', 'transition.scheduled'),
  author: fc.string({ unit: 'binary', maxLength: 8 }),
  payload: fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string())),
});

const chainSpec = fc.array(fc.array(event, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 });

function tryDecode(decoder: TextDecoder, bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

describe('verifyChain (properties)', () => {
  it('accepts every chain it sealed', () => {
    fc.assert(
      fc.property(chainSpec, (blocks) => {
        const chain = sealBlocks(blocks.map((evs, i) => ({ height: i * 3 + 1, events: evs.map(encodeEvent) })), sha256Hex);
        expect(verifyChain(chain, sha256Hex).ok).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('detects any single-byte change to any stored event', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(chainSpec, fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (blocks, bi, ei, pos, xor) => {
        const chain = sealBlocks(blocks.map((evs, i) => ({ height: i * 3 + 1, events: evs.map(encodeEvent) })), sha256Hex);
        const b = bi % chain.length;
        const target = chain[b]!;
        const e = ei % target.events.length;
        const bytes = new TextEncoder().encode(target.events[e]!);
        const p = pos % bytes.length;
        bytes[p] = bytes[p]! ^ xor; // xor with a non-zero mask: the byte always changes
        const tampered = tryDecode(decoder, bytes);
        fc.pre(tampered !== undefined); // invalid UTF-8 cannot be stored in a TEXT column
        const edited = chain.map((blk, j) =>
          j === b ? { ...blk, events: blk.events.map((t, k) => (k === e ? tampered : t)) } : blk,
        );
        expect(verifyChain(edited, sha256Hex)).toMatchObject({
          ok: false,
          firstBadHeight: target.block.height,
          fault: 'events_root_mismatch',
        });
      }),
      { numRuns: 300 },
    );
  });
});
