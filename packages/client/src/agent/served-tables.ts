import { drainable, tableAt, tableVersions } from '@steward/core';
import type { FleetTable } from '../api/fleet.ts';

export type History = readonly { readonly table: FleetTable; readonly usableFromBlock: number }[];

/** Every version a table can route to (stable, canary, arms, and inside overrides), sorted. */
export function versionsOf(table: FleetTable | null | undefined): string[] {
  return tableVersions(table);
}

/**
 * Merges a fresh history from the server into the one the node holds. The server sends only the
 * recent records; records the node already had for earlier blocks are kept so requests submitted
 * before the switch can still be resolved. Superseded future records (a rollback replaced them)
 * are dropped: the server's view from its oldest record on wins.
 */
export function mergeHistory(held: History, fresh: History): History {
  if (fresh.length === 0) return held;
  const from = fresh[0]!.usableFromBlock;
  return [...held.filter((r) => r.usableFromBlock < from), ...fresh];
}

/**
 * Versions a node must keep loaded for one channel at `block`: the table in force, every
 * scheduled one, the one each in-flight request was stamped with, and the previous table until it
 * drains (DESIGN, Fleet transitions 4). Everything else may be unloaded.
 */
export function versionsToKeep(history: History, block: number, inflightBlocks: readonly number[], drainBlocks: number, pending: FleetTable | null): Set<string> {
  const keep = new Set<string>(versionsOf(pending));
  let cur = -1;
  history.forEach((r, i) => {
    if (r.usableFromBlock <= block) cur = i;
    else for (const v of versionsOf(r.table)) keep.add(v);
  });
  if (cur >= 0) for (const v of versionsOf(history[cur]!.table)) keep.add(v);
  for (const b of inflightBlocks) for (const v of versionsOf(tableAt(history, b))) keep.add(v);
  const switchAt = history[cur];
  if (cur > 0 && switchAt && !drainable({ inflightSubmittedBlocks: inflightBlocks, currentBlock: block, usableFromBlock: switchAt.usableFromBlock, drainBlocks }).drainable) {
    for (const v of versionsOf(history[cur - 1]!.table)) keep.add(v);
  }
  return keep;
}
