/**
 * One pending transition per channel: a newer one waits until the one ahead of it is in force.
 * "Pending" means proposed but not yet in force: still waiting for quorum (`usableFromBlock`
 * undefined) or scheduled for a later block. Aborted or superseded transitions must be left out
 * by the caller.
 */
export interface PendingTransitionRef {
  readonly id: string;
  readonly model: string;
  readonly channel: string;
  /** Block at which the transition was proposed: the queue order. */
  readonly proposedAtBlock: number;
  readonly usableFromBlock?: number | undefined;
}

export type PendingVerdict =
  | { readonly wait: false }
  | { readonly wait: true; readonly behind: PendingTransitionRef };

export function isPending(t: PendingTransitionRef, currentBlock: number): boolean {
  return t.usableFromBlock === undefined || t.usableFromBlock > currentBlock;
}

/**
 * Whether `candidate` must wait for another transition of the same model and channel. Queue order
 * is `proposedAtBlock`, then `id` (so two proposals in one block still get a total order).
 * `candidate` may itself appear in `existing`; it is skipped by id. Returns the transition it
 * waits behind: the earliest in queue order.
 */
export function mustWait(
  candidate: PendingTransitionRef,
  existing: readonly PendingTransitionRef[],
  currentBlock: number,
): PendingVerdict {
  const ahead = existing
    .filter(
      (t) =>
        t.id !== candidate.id &&
        t.model === candidate.model &&
        t.channel === candidate.channel &&
        isPending(t, currentBlock) &&
        // A scheduled one is committed to a block, so it blocks even if proposed later
        // (e.g. a rollback); one still waiting for quorum blocks only if queued earlier.
        (t.usableFromBlock !== undefined || before(t, candidate)),
    )
    .sort((a, b) => (before(a, b) ? -1 : 1));
  const first = ahead[0];
  return first === undefined ? { wait: false } : { wait: true, behind: first };
}

function before(a: PendingTransitionRef, b: PendingTransitionRef): boolean {
  return a.proposedAtBlock !== b.proposedAtBlock ? a.proposedAtBlock < b.proposedAtBlock : a.id < b.id;
}
