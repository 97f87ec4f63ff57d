import type { RoutingTable } from '../channels/channels.types.ts';
import type { Transition } from './fleet.types.ts';

/** What a node needs to serve one channel: the records `tableAt` needs, and what is on its way. */
export interface ChannelDesired {
  model: string;
  channel: string;
  /**
   * Ordered by `usableFromBlock`: the table before the one in force (kept for requests submitted
   * before the switch), the one in force, and every scheduled future one.
   */
  history: { table: RoutingTable; usableFromBlock: number }[];
  inForce: RoutingTable | null;
  /** The next transition still waiting for quorum (or for its turn), if any. */
  pending: { id: string; table: RoutingTable; proposedAtBlock: number } | null;
}

/**
 * Builds a channel's answer from its scheduled and pending transitions. `fallback` is the
 * channel's table when it has no transitions at all (set before the fleet existed, never moved
 * since): in force from block 0.
 */
export function desiredFor(model: string, channel: string, rows: readonly Transition[], block: number, fallback: RoutingTable | null): ChannelDesired {
  const scheduled = rows
    .filter((r) => r.state === 'scheduled' && r.usableFromBlock !== null)
    .map((r) => ({ table: r.table, usableFromBlock: r.usableFromBlock as number }))
    .sort((a, b) => a.usableFromBlock - b.usableFromBlock);
  if (scheduled.length === 0 && fallback) scheduled.push({ table: fallback, usableFromBlock: 0 });
  let cur = -1;
  scheduled.forEach((r, i) => {
    if (r.usableFromBlock <= block) cur = i;
  });
  const history = scheduled.slice(Math.max(0, cur - 1));
  const p = rows.find((r) => r.state === 'pending');
  return {
    model,
    channel,
    history,
    inForce: cur >= 0 ? scheduled[cur]!.table : null,
    pending: p ? { id: p.id, table: p.table, proposedAtBlock: p.proposedAtBlock } : null,
  };
}
