import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GENESIS_PREV_HASH, type BlockWithEvents, encodeEvent, makeBlock, sealBlocks } from './hash-chain.ts';
import { verifyChain } from './verify-chain.ts';

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const ev = (block: number, seq: number, kind: string): string =>
  encodeEvent({ block, seq, kind, author: 'ana', payload: { model: 'llama', channel: 'production' } });

function sample(): BlockWithEvents[] {
  return sealBlocks(
    [
      { height: 3, events: [ev(3, 0, 'version.committed')] },
      { height: 7, events: [ev(7, 0, 'channel.set'), ev(7, 1, 'approval.added'), ev(7, 2, 'gate.passed')] },
      { height: 12, events: [ev(12, 0, 'rollout.started'), ev(12, 1, 'rollout.step')] },
      { height: 20, events: [ev(20, 0, 'transition.scheduled')] },
    ],
    sha256Hex,
  );
}

/** Copy with one block replaced by `edit(block)`. */
function withBlock(chain: BlockWithEvents[], i: number, edit: (b: BlockWithEvents) => BlockWithEvents): BlockWithEvents[] {
  return chain.map((b, j) => (j === i ? edit(b) : b));
}

describe('verifyChain', () => {
  it('accepts an untouched chain whose heights skip empty blocks', () => {
    const chain = sample();
    expect(chain[0]?.block.prevHash).toBe(GENESIS_PREV_HASH);
    expect(verifyChain(chain, sha256Hex)).toEqual({ ok: true, blocks: 4, events: 7, headHash: chain[3]?.block.hash });
    expect(verifyChain([], sha256Hex)).toMatchObject({ ok: true, headHash: GENESIS_PREV_HASH });
  });

  it('detects an edited event', () => {
    const chain = withBlock(sample(), 1, (b) => ({ ...b, events: [b.events[0]!, b.events[1]!.replace('ana', 'eve'), b.events[2]!] }));
    expect(verifyChain(chain, sha256Hex)).toMatchObject({ ok: false, firstBadHeight: 7, fault: 'events_root_mismatch' });
  });

  it('detects a removed event, with or without the count edited to match', () => {
    const removed = withBlock(sample(), 1, (b) => ({ ...b, events: b.events.slice(0, 2) }));
    expect(verifyChain(removed, sha256Hex)).toMatchObject({ firstBadHeight: 7, fault: 'event_count_mismatch' });
    const recounted = withBlock(removed, 1, (b) => ({ ...b, block: { ...b.block, eventCount: 2 } }));
    expect(verifyChain(recounted, sha256Hex)).toMatchObject({ firstBadHeight: 7, fault: 'events_root_mismatch' });
  });

  it('detects reordered events', () => {
    const chain = withBlock(sample(), 2, (b) => ({ ...b, events: [...b.events].reverse() }));
    expect(verifyChain(chain, sha256Hex)).toMatchObject({ ok: false, firstBadHeight: 12, fault: 'events_root_mismatch' });
  });

  it('detects an edited prevHash, even when the block hash is recomputed to match', () => {
    const other = 'ab'.repeat(32);
    const edited = withBlock(sample(), 2, (b) => ({ ...b, block: { ...b.block, prevHash: other } }));
    expect(verifyChain(edited, sha256Hex)).toMatchObject({ firstBadHeight: 12, fault: 'prev_hash_mismatch' });
    const resealed = withBlock(sample(), 2, (b) => ({ ...b, block: makeBlock({ height: 12, prevHash: other, events: b.events }, sha256Hex) }));
    expect(verifyChain(resealed, sha256Hex)).toMatchObject({ firstBadHeight: 12, fault: 'prev_hash_mismatch' });
  });

  it('detects a gap (a removed block), including the first one', () => {
    const chain = sample();
    expect(verifyChain([chain[0]!, chain[2]!, chain[3]!], sha256Hex)).toMatchObject({
      firstBadHeight: 12,
      fault: 'prev_hash_mismatch',
    });
    expect(verifyChain(chain.slice(1), sha256Hex)).toMatchObject({ firstBadHeight: 7, fault: 'prev_hash_mismatch' });
  });

  it('detects edited header fields and out-of-order blocks', () => {
    const moved = withBlock(sample(), 1, (b) => ({ ...b, block: { ...b.block, height: 8 } }));
    expect(verifyChain(moved, sha256Hex)).toMatchObject({ firstBadHeight: 8, fault: 'block_hash_mismatch' });
    const chain = sample();
    expect(verifyChain([chain[1]!, chain[0]!], sha256Hex)).toMatchObject({ fault: 'prev_hash_mismatch' });
    expect(verifyChain([chain[0]!, chain[0]!], sha256Hex)).toMatchObject({ firstBadHeight: 3, fault: 'height_not_increasing' });
    const garbled = withBlock(chain, 0, (b) => ({ ...b, block: { ...b.block, hash: 'nothex' } }));
    expect(verifyChain(garbled, sha256Hex)).toMatchObject({ fault: 'malformed_block' });
  });

  it('detects a truncated head only against an expected head hash', () => {
    const chain = sample();
    const head = chain[3]!.block.hash;
    expect(verifyChain(chain.slice(0, 3), sha256Hex).ok).toBe(true);
    expect(verifyChain(chain.slice(0, 3), sha256Hex, { expectedHeadHash: head })).toMatchObject({
      firstBadHeight: 12,
      fault: 'head_mismatch',
    });
    expect(verifyChain(chain, sha256Hex, { expectedHeadHash: head }).ok).toBe(true);
  });

  it('verifies a segment from an anchor', () => {
    const chain = sample();
    const anchor = { height: chain[1]!.block.height, hash: chain[1]!.block.hash };
    expect(verifyChain(chain.slice(2), sha256Hex, { anchor }).ok).toBe(true);
    expect(verifyChain(chain.slice(3), sha256Hex, { anchor }).ok).toBe(false);
  });

  it('refuses to seal empty blocks or non-canonical event text', () => {
    expect(() => makeBlock({ height: 1, prevHash: GENESIS_PREV_HASH, events: [] }, sha256Hex)).toThrow(/at least one event/);
    expect(() => makeBlock({ height: 1, prevHash: GENESIS_PREV_HASH, events: ['{"b":1,"a":2}'] }, sha256Hex)).toThrow(
      /canonical/,
    );
    expect(() => makeBlock({ height: 1, prevHash: 'zz', events: [ev(1, 0, 'x')] }, sha256Hex)).toThrow(/prevHash/);
  });
});
