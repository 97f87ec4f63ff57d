import semver from 'semver';
import { assertHeight } from '../chain/block-clock.ts';
import { ConflictError, InvalidInputError } from '../errors.ts';
import { type DigestMismatch, type NodeReport, type RequiredDigests, assessFleet, quorumNeed } from './node-readiness.ts';
import { type RoutingTableLike, sameTable } from './routing-table-like.ts';

export const DEFAULT_QUORUM = 2 / 3;
export const DEFAULT_ACTIVATION_DELAY = 10;

export interface TransitionInput<T extends RoutingTableLike> {
  /** The table in force now; `undefined` for a channel's first table. */
  readonly currentTable: T | undefined;
  readonly proposedTable: T;
  /** Every version `proposedTable` references → its registry digest(s). Must include `stable`. */
  readonly requiredDigests: RequiredDigests;
  /** The channel's registered nodes. */
  readonly nodes: readonly NodeReport[];
  readonly currentBlock: number;
  /** A node is live while `currentBlock - lastHeartbeatBlock <= livenessTtlBlocks`. */
  readonly livenessTtlBlocks: number;
  /** Fraction of live nodes that must be ready, in (0, 1]. Default 2/3. */
  readonly quorum?: number;
  /** Blocks between the decision and the switch, ≥ 1. Default 10. */
  readonly activationDelay?: number;
  /** An explicit, authorized rollback event (authorization is the server's job, not core's). */
  readonly rollback?: boolean;
}

export type TransitionDecision<T extends RoutingTableLike> =
  | { readonly state: 'unchanged' }
  | {
      readonly state: 'waiting';
      readonly have: number;
      readonly need: number;
      readonly live: number;
      readonly flagged: readonly string[];
      readonly mismatches: readonly DigestMismatch[];
    }
  | {
      readonly state: 'scheduled';
      /** The proposed table: with the next two fields, the transition record to store. */
      readonly table: T;
      readonly usableFromBlock: number;
      readonly previousTable: T | undefined;
      readonly basis: 'quorum' | 'no-live-nodes' | 'rollback';
      readonly have: number;
      readonly need: number;
      readonly flagged: readonly string[];
      readonly mismatches: readonly DigestMismatch[];
    };

/**
 * Decides whether a channel's move from its current table to a proposed one may be scheduled
 * now. Pure: the controller calls it again on every heartbeat or block until it says
 * `scheduled`, then records the transition event. (Whether another transition of the channel is
 * still pending is a separate check: see pending-transitions.ts.)
 *
 * Invariant: `usableFromBlock > currentBlock`. A request submitted in the current block was
 * already resolved against the current table; a switch at the current block would change the
 * table "in force at its submitted block" after the fact.
 *
 * @throws ConflictError `downgrade_requires_rollback` when `stable` moves to a lower version
 *   without `rollback: true`: quorum never decides a downgrade.
 */
export function decideTransition<T extends RoutingTableLike>(input: TransitionInput<T>): TransitionDecision<T> {
  return decide(input, () => {
    const fleet = assessFleet(input.nodes, input.requiredDigests, input);
    return { live: fleet.live.length, ready: fleet.ready.length, flagged: fleet.flagged, mismatches: fleet.mismatches };
  });
}

/** The fleet as counts: what a store can aggregate (SQL COUNT) without listing every node. */
export interface FleetCounts {
  /** Live nodes of the channel (heartbeat within the TTL at `currentBlock`). */
  readonly live: number;
  /**
   * Live nodes with every required version installed under an accepted digest and no required
   * version under any other digest (the same rule as assessFleet).
   */
  readonly ready: number;
}

/**
 * decideTransition for a fleet given as counts (`assessFleet`'s rule applied by the caller, e.g.
 * in SQL). Same rules and errors; the decision lists no flagged nodes or mismatches (the counts
 * carry none: a node's own heartbeat answer flags it). `counts` is only called when the decision
 * depends on it, so a rollback or an unchanged table costs no count.
 */
export async function decideTransitionCounted<T extends RoutingTableLike>(
  input: Omit<TransitionInput<T>, 'nodes'>,
  counts: () => Promise<FleetCounts>,
): Promise<TransitionDecision<T>> {
  const decision = decide(input, () => ({ live: 0, ready: 0, flagged: [], mismatches: [] }), true);
  if (decision !== 'needs-fleet') return decision;
  const { live, ready } = await counts();
  if (!Number.isSafeInteger(live) || !Number.isSafeInteger(ready) || ready < 0 || ready > live) {
    throw new InvalidInputError('fleet counts must be integers with 0 ≤ ready ≤ live', { live, ready });
  }
  return decide(input, () => ({ live, ready, flagged: [], mismatches: [] }));
}

interface Assessed {
  live: number;
  ready: number;
  flagged: readonly string[];
  mismatches: readonly DigestMismatch[];
}

function decide<T extends RoutingTableLike>(input: Omit<TransitionInput<T>, 'nodes'>, assess: () => Assessed): TransitionDecision<T>;
function decide<T extends RoutingTableLike>(input: Omit<TransitionInput<T>, 'nodes'>, assess: () => Assessed, probe: true): TransitionDecision<T> | 'needs-fleet';
function decide<T extends RoutingTableLike>(input: Omit<TransitionInput<T>, 'nodes'>, assess: () => Assessed, probe = false): TransitionDecision<T> | 'needs-fleet' {
  const { currentTable, proposedTable, currentBlock } = input;
  const quorum = input.quorum ?? DEFAULT_QUORUM;
  const delay = input.activationDelay ?? DEFAULT_ACTIVATION_DELAY;
  assertHeight(currentBlock, 'currentBlock');
  if (!Number.isSafeInteger(delay) || delay < 1) {
    throw new InvalidInputError('activationDelay must be an integer ≥ 1 block', { activationDelay: delay });
  }
  if (!Number.isSafeInteger(input.livenessTtlBlocks) || input.livenessTtlBlocks < 0) {
    throw new InvalidInputError('livenessTtlBlocks must be a non-negative integer', { livenessTtlBlocks: input.livenessTtlBlocks });
  }
  if (!(proposedTable.stable in input.requiredDigests)) {
    throw new InvalidInputError(`requiredDigests has no digest for the proposed stable version ${proposedTable.stable}`, {
      version: proposedTable.stable,
    });
  }
  if (currentTable !== undefined && sameTable(currentTable, proposedTable)) return { state: 'unchanged' };

  const direction = currentTable === undefined ? 'up' : compareStable(currentTable, proposedTable);
  if (direction === 'down' && input.rollback !== true) {
    throw new ConflictError(
      `moving ${currentTable?.stable} → ${proposedTable.stable} lowers the stable version: that needs an explicit, authorized rollback, not a rollout`,
      { from: currentTable?.stable, to: proposedTable.stable },
      'downgrade_requires_rollback',
    );
  }
  if (direction === 'up' && input.rollback === true) {
    throw new InvalidInputError(
      `a rollback cannot raise the stable version (${currentTable?.stable} → ${proposedTable.stable}); use a rollout`,
      { from: currentTable?.stable, to: proposedTable.stable },
      'rollback_raises_version',
    );
  }
  if (probe && input.rollback !== true) return 'needs-fleet';

  const fleet = assess();
  const have = fleet.ready;
  const need = quorumNeed(fleet.live, quorum);
  const report = { have, need, flagged: fleet.flagged, mismatches: fleet.mismatches };
  const scheduled = (usableFromBlock: number, basis: 'quorum' | 'no-live-nodes' | 'rollback') =>
    ({ state: 'scheduled', table: proposedTable, usableFromBlock, previousTable: currentTable, basis, ...report }) as const;

  // A rollback answers a live problem (a degraded or bad model), so it takes effect at the next
  // block instead of waiting for a quorum that may never come while the bad version serves. The
  // fleet usually still has the older version loaded (it was the previousTable, kept until
  // drained); nodes that lack it keep serving what they have and are told they lag (DESIGN,
  // Fleet transitions step 5) — no worse than waiting, and never worse for the nodes that have it.
  if (input.rollback === true) return scheduled(currentBlock + 1, 'rollback');
  // No live nodes: plain services ask "which version?" per request, nothing to wait for.
  if (fleet.live === 0) return scheduled(currentBlock + 1, 'no-live-nodes');
  if (have >= need) return scheduled(currentBlock + delay, 'quorum');
  return { state: 'waiting', live: fleet.live, ...report };
}

/** 'down' iff the proposed stable version is semver-lower than the current one. */
export function compareStable(current: RoutingTableLike, proposed: RoutingTableLike): 'up' | 'down' | 'same' {
  for (const v of [current.stable, proposed.stable]) {
    if (semver.valid(v) === null) throw new InvalidInputError(`${v} is not a semver version`, { version: v });
  }
  const c = semver.compare(proposed.stable, current.stable);
  return c < 0 ? 'down' : c > 0 ? 'up' : 'same';
}
