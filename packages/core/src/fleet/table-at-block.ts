import { assertHeight } from '../chain/block-clock.ts';
import { InvalidInputError } from '../errors.ts';

/** One entry of a channel's history: `table` is in force from `usableFromBlock` on. */
export interface TransitionRecord<T> {
  readonly table: T;
  readonly usableFromBlock: number;
}

/**
 * The table in force at `block`: the last record with `usableFromBlock <= block`, or `undefined`
 * before the channel's first table. Resolve a request with the block it was *submitted* at, never
 * the block it runs or finishes in: that is what makes a request begun before a switch finish on
 * the old table even on a node that already switched.
 *
 * `history` must be ordered by `usableFromBlock` (ties: the later record wins) and hold only
 * transitions that took or will take effect; an aborted one must not be in it.
 */
export function tableAt<T>(history: readonly TransitionRecord<T>[], block: number): T | undefined {
  assertHeight(block);
  let prev = -Infinity;
  for (const r of history) {
    assertHeight(r.usableFromBlock, 'usableFromBlock');
    if (r.usableFromBlock < prev) {
      throw new InvalidInputError('transition history must be ordered by usableFromBlock', {
        usableFromBlock: r.usableFromBlock,
        after: prev,
      });
    }
    prev = r.usableFromBlock;
  }
  // Binary search for the first record strictly after `block`; the one before it is in force.
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((history[mid] as TransitionRecord<T>).usableFromBlock <= block) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : history[lo - 1]?.table;
}

export interface DrainInput {
  /** Submitted block of every request the node is still running (any table). */
  readonly inflightSubmittedBlocks: readonly number[];
  readonly currentBlock: number;
  /** The switch away from the old table. */
  readonly usableFromBlock: number;
  /** Extra blocks to keep the old table after the switch (late retries, clock skew). ≥ 0. */
  readonly drainBlocks: number;
}

export type DrainVerdict =
  | { readonly drainable: true }
  | { readonly drainable: false; readonly waitingFor: 'switch'; readonly notBeforeBlock: number }
  | { readonly drainable: false; readonly waitingFor: 'inflight'; readonly inflight: number; readonly notBeforeBlock: number }
  | { readonly drainable: false; readonly waitingFor: 'drain-window'; readonly notBeforeBlock: number };

/**
 * Whether a node may unload the table that was in force before `usableFromBlock` (DESIGN, Fleet
 * transitions step 4): only once the switch happened, no request submitted before it is still
 * running, and `drainBlocks` blocks have passed since it. `notBeforeBlock` is the earliest block at
 * which it could become true (with in-flight requests it is a lower bound: they may run longer).
 * Which of the old table's versions to unload (those the new table does not reference) is the
 * node's call; this only says when.
 */
export function drainable(input: DrainInput): DrainVerdict {
  const { currentBlock, usableFromBlock, drainBlocks } = input;
  assertHeight(currentBlock, 'currentBlock');
  assertHeight(usableFromBlock, 'usableFromBlock');
  assertHeight(drainBlocks, 'drainBlocks');
  const notBeforeBlock = usableFromBlock + drainBlocks;
  if (currentBlock < usableFromBlock) return { drainable: false, waitingFor: 'switch', notBeforeBlock };
  const inflight = input.inflightSubmittedBlocks.filter((b) => b < usableFromBlock).length;
  if (inflight > 0) return { drainable: false, waitingFor: 'inflight', inflight, notBeforeBlock: Math.max(notBeforeBlock, currentBlock + 1) };
  if (currentBlock < notBeforeBlock) return { drainable: false, waitingFor: 'drain-window', notBeforeBlock };
  return { drainable: true };
}
