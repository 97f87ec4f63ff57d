import { canonicalJson } from '../chain/canonical-json.ts';

/**
 * The least the fleet rules need from a routing table: its `stable` version. The full table
 * (candidate, weights, per-platform overrides) lives in core/src/routing/; the fleet code stays
 * structural so it accepts that type without importing it.
 */
export interface RoutingTableLike {
  readonly stable: string;
  readonly [key: string]: unknown;
}

/** Two tables are the same iff their canonical JSON is byte-equal (key order does not matter). */
export function sameTable(a: RoutingTableLike, b: RoutingTableLike): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Every version a routing table can route to, sorted: stable, a canary candidate, split arms, and
 * the same inside per-platform overrides. A node must hold all of them before it counts toward
 * quorum, and an agent keeps all of them installed.
 */
export function tableVersions(table: RoutingTableLike | null | undefined): string[] {
  if (!table) return [];
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
