import { murmur3Joined } from './murmur3.ts';

/** Number of buckets; one bucket is one basis point of traffic. */
export const BUCKETS = 10_000;

/**
 * Sticky bucket of a unit in a rollout: `murmur3_x86_32(utf8("<rolloutId>:<unitKey>"), seed 0)
 * mod 10000`, an integer 0..9999. Deterministic across processes, Node and browsers.
 * The modulo bias is negligible: 2^32 mod 10000 = 7296, so the first 7296 buckets are more
 * likely by 1 part in 429,496 (far below what 1M-key chi-square tests can see).
 */
export function bucketOf(rolloutId: string, unitKey: string): number {
  return murmur3Joined(rolloutId, unitKey) % BUCKETS;
}
