import { findArm } from './arms.ts';
import { bucketOf } from './bucket.ts';
import { matchesAll } from './constraints.ts';
import type { Decision, PlatformTable, RoutingTable, UnitContext } from './types.ts';

const EMPTY: UnitContext = {};

/** The table a platform is routed by: its override if there is one, else the table itself. */
export function tableFor(table: RoutingTable, platform: string | undefined): PlatformTable {
  const o = table.overrides;
  if (o !== undefined && platform !== undefined && Object.hasOwn(o, platform)) return o[platform]!;
  return table;
}

/**
 * Route one unit. Pure and deterministic: the same (table, unitKey, context) gives the same
 * decision in every process, in Node and in browsers.
 *
 * 1. Platform override: `context.platform` selects `table.overrides[platform]` if present.
 * 2. Candidate: a unit is eligible iff it has a key and meets every step constraint. Its bucket
 *    is `bucketOf(candidate.rolloutId, unitKey)`. Canary: candidate iff bucket < weightBps, so
 *    raising the weight only ever adds units (a monotonic ramp). A/B/n: the arm owning the
 *    bucket, else stable.
 * 3. Variant: the candidate's or arm's pinned variant, else `variants[platform]`, else
 *    `variants['*']`, else `'default'`.
 *
 * Anonymous units (`unitKey` undefined, null or '') cannot be sticky, and core has no randomness
 * to draw from, so they are never enrolled: they get the platform's stable version (`arm:
 * 'stable'`). Callers that want anonymous traffic in a canary must supply a key (e.g. a session id).
 *
 * Expects a table that passed `validateRoutingTable` (the server validates on write); it only
 * re-checks what is free to check (unknown operators still throw InvalidInputError).
 *
 * @example
 * resolve({ stable: '1.1.0', candidate: { rolloutId: 'r7', version: '1.2.0', weightBps: 500 } },
 *   'user-42', { platform: 'android' }) // { version: '1.1.0' | '1.2.0', variant: 'default', arm }
 */
export function resolve(table: RoutingTable, unitKey: string | null | undefined, context: UnitContext = EMPTY): Decision {
  const platform = context.platform;
  const t = tableFor(table, platform);
  let version = t.stable;
  let pinned: string | undefined;
  let arm = 'stable';
  const c = t.candidate;
  if (c !== undefined && unitKey != null && unitKey !== '' && (c.constraints === undefined || matchesAll(c.constraints, context))) {
    const bucket = bucketOf(c.rolloutId, unitKey);
    if ('arms' in c) {
      const a = findArm(c.arms, bucket);
      if (a !== undefined) {
        version = a.version;
        pinned = a.variant;
        arm = a.name;
      }
    } else if (bucket < c.weightBps) {
      version = c.version;
      pinned = c.variant;
      arm = 'candidate';
    }
  }
  return { version, variant: pinned ?? variantFor(t, platform), arm };
}

function variantFor(t: PlatformTable, platform: string | undefined): string {
  const v = t.variants;
  if (v === undefined) return 'default';
  if (platform !== undefined && Object.hasOwn(v, platform)) return v[platform]!;
  return Object.hasOwn(v, '*') ? v['*']! : 'default';
}
