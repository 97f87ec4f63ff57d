import type { RoutingTableLike } from '@steward/core';

/**
 * Every version a routing table can route to: stable, a canary candidate, split arms, and the same
 * inside per-platform overrides. A node must hold all of them before it counts toward quorum.
 */
export function versionsOf(table: RoutingTableLike): string[] {
  const out = new Set<string>();
  const visit = (t: Record<string, unknown>) => {
    if (typeof t.stable === 'string') out.add(t.stable);
    const c = t.candidate as { version?: unknown; arms?: { version?: unknown }[] } | undefined;
    if (c && typeof c.version === 'string') out.add(c.version);
    for (const a of Array.isArray(c?.arms) ? c.arms : []) if (typeof a.version === 'string') out.add(a.version);
  };
  visit(table);
  const o = table.overrides;
  if (o && typeof o === 'object') for (const t of Object.values(o as Record<string, Record<string, unknown>>)) visit(t);
  return [...out].sort();
}
