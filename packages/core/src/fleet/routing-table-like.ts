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
