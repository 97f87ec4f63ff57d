import { InvalidInputError } from '../errors.ts';
import { assertHeight } from './block-clock.ts';
import { canonicalBytes, canonicalJson, utf8 } from './canonical-json.ts';
import { type Sha256Hex, hashBytes, isHash, leafHash, merkleRoot } from './merkle.ts';

/**
 * The tamper-evident audit log. Only blocks that hold events exist; each commits to
 * - its events, through an RFC 6962 Merkle root over the events in order (see merkle.ts), and
 * - the previous block that exists, through `prevHash` (the first block's is 64 zeros).
 *
 * Events are hashed as stored: their canonical JSON text (canonical-json.ts). Storing and hashing
 * that exact text (a TEXT column, not PostgreSQL `jsonb`, which reorders keys) means any change to
 * a stored byte changes a hash, and two servers agree on every hash.
 */
export const GENESIS_PREV_HASH = '0'.repeat(64);

export interface BlockHeader {
  readonly height: number;
  /** Hash of the previous block that holds events, or {@link GENESIS_PREV_HASH}. */
  readonly prevHash: string;
  readonly eventsRoot: string;
  readonly eventCount: number;
  /** H(canonical JSON of the four fields above plus a format version). */
  readonly hash: string;
}

export interface BlockWithEvents {
  readonly block: BlockHeader;
  /** The block's events as stored: canonical JSON text, in the block's order. */
  readonly events: readonly string[];
}

/** The text an event is stored and hashed as. */
export function encodeEvent(event: unknown): string {
  return canonicalJson(event);
}

export function eventHash(eventText: string, sha256Hex: Sha256Hex): string {
  return leafHash(utf8(eventText), sha256Hex);
}

export function eventsRoot(eventTexts: readonly string[], sha256Hex: Sha256Hex): string {
  return merkleRoot(eventTexts.map((t) => eventHash(t, sha256Hex)), sha256Hex);
}

/** Bumping this invalidates every stored hash; it exists so a format change is explicit. */
const BLOCK_FORMAT = 1;

export function blockHash(
  header: Pick<BlockHeader, 'height' | 'prevHash' | 'eventsRoot' | 'eventCount'>,
  sha256Hex: Sha256Hex,
): string {
  const { height, prevHash, eventsRoot: root, eventCount } = header;
  return hashBytes(sha256Hex, canonicalBytes({ v: BLOCK_FORMAT, height, prevHash, eventsRoot: root, eventCount }));
}

/**
 * Seals a block. `events` must be non-empty (empty blocks are not stored) and each must be
 * canonical JSON text, so the stored row re-canonicalizes to itself.
 */
export function makeBlock(
  input: { readonly height: number; readonly prevHash: string; readonly events: readonly string[] },
  sha256Hex: Sha256Hex,
): BlockHeader {
  const { height, prevHash, events } = input;
  assertHeight(height);
  if (!isHash(prevHash)) throw new InvalidInputError('prevHash must be 64 lowercase hex characters', { prevHash });
  if (events.length === 0) throw new InvalidInputError('a block must hold at least one event', { height });
  events.forEach((text, index) => {
    if (!isCanonicalText(text)) {
      throw new InvalidInputError('event is not canonical JSON text: encode it with encodeEvent()', { height, index });
    }
  });
  const root = eventsRoot(events, sha256Hex);
  const header = { height, prevHash, eventsRoot: root, eventCount: events.length };
  return { ...header, hash: blockHash(header, sha256Hex) };
}

function isCanonicalText(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}

/**
 * Seals consecutive blocks, chaining each to the one before (or to `prevHash`, default zeros).
 * Heights must ascend; they need not be contiguous, since blocks without events do not exist.
 */
export function sealBlocks(
  entries: readonly { readonly height: number; readonly events: readonly string[] }[],
  sha256Hex: Sha256Hex,
  prevHash: string = GENESIS_PREV_HASH,
): BlockWithEvents[] {
  const out: BlockWithEvents[] = [];
  let prev = prevHash;
  let prevHeight = -1;
  for (const { height, events } of entries) {
    if (height <= prevHeight) throw new InvalidInputError('block heights must ascend', { height, prevHeight });
    const block = makeBlock({ height, prevHash: prev, events }, sha256Hex);
    out.push({ block, events: [...events] });
    prev = block.hash;
    prevHeight = height;
  }
  return out;
}
