import type { BlockWithEvents } from './hash-chain.ts';
import { GENESIS_PREV_HASH, blockHash, eventsRoot } from './hash-chain.ts';
import { type Sha256Hex, isHash } from './merkle.ts';

export type ChainFault =
  | 'malformed_block'
  | 'height_not_increasing'
  | 'prev_hash_mismatch'
  | 'empty_block'
  | 'event_count_mismatch'
  | 'events_root_mismatch'
  | 'block_hash_mismatch'
  | 'head_mismatch';

export type ChainVerdict =
  | { readonly ok: true; readonly blocks: number; readonly events: number; readonly headHash: string }
  | { readonly ok: false; readonly firstBadHeight: number; readonly fault: ChainFault; readonly reason: string };

export interface VerifyChainOptions {
  /** Verify a segment: the block just before `blocks[0]` (default: start of the log, zeros). */
  readonly anchor?: { readonly height: number; readonly hash: string };
  /**
   * The head hash recorded elsewhere (signed timestamp metadata, a previous run). Without it,
   * dropping the newest blocks is undetectable: a shorter chain is still a valid chain.
   */
  readonly expectedHeadHash?: string;
}

/**
 * Walks blocks in ascending height order and reports the first one that does not check out.
 * What each tampering looks like:
 * - an edited, removed or reordered event → `events_root_mismatch` (removed also trips
 *   `event_count_mismatch` first when the stored count was left alone);
 * - an edited `prevHash` → `prev_hash_mismatch` at that block;
 * - a missing block (gap) → `prev_hash_mismatch` at the block after it;
 * - an edited height, root or count → `block_hash_mismatch` (or the specific check before it).
 */
export function verifyChain(
  blocks: readonly BlockWithEvents[],
  sha256Hex: Sha256Hex,
  options: VerifyChainOptions = {},
): ChainVerdict {
  let prevHash = options.anchor?.hash ?? GENESIS_PREV_HASH;
  let prevHeight = options.anchor?.height ?? -1;
  let events = 0;
  for (const { block, events: texts } of blocks) {
    const h = block.height;
    const bad = (fault: ChainFault, reason: string): ChainVerdict => ({
      ok: false,
      firstBadHeight: h,
      fault,
      reason: `block ${h}: ${reason}`,
    });
    if (!isWellFormed(block)) return bad('malformed_block', 'header fields are missing or malformed');
    if (h <= prevHeight) return bad('height_not_increasing', `height does not follow ${prevHeight}`);
    if (block.prevHash !== prevHash) {
      return bad('prev_hash_mismatch', 'prevHash does not match the previous block: a block is missing or prevHash was edited');
    }
    if (texts.length === 0) return bad('empty_block', 'holds no events');
    if (texts.length !== block.eventCount) {
      return bad('event_count_mismatch', `header says ${block.eventCount} events, found ${texts.length}`);
    }
    if (eventsRoot(texts, sha256Hex) !== block.eventsRoot) {
      return bad('events_root_mismatch', 'events do not match the events root: one was edited, removed, added or reordered');
    }
    if (blockHash(block, sha256Hex) !== block.hash) return bad('block_hash_mismatch', 'header fields were edited');
    prevHash = block.hash;
    prevHeight = h;
    events += texts.length;
  }
  if (options.expectedHeadHash !== undefined && options.expectedHeadHash !== prevHash) {
    return {
      ok: false,
      firstBadHeight: prevHeight,
      fault: 'head_mismatch',
      reason: `chain ends at block ${prevHeight} whose hash is not the expected head: newest blocks are missing or replaced`,
    };
  }
  return { ok: true, blocks: blocks.length, events, headHash: prevHash };
}

function isWellFormed(block: BlockWithEvents['block']): boolean {
  return (
    Number.isSafeInteger(block.height) &&
    block.height >= 0 &&
    Number.isSafeInteger(block.eventCount) &&
    isHash(block.prevHash) &&
    isHash(block.eventsRoot) &&
    isHash(block.hash)
  );
}
