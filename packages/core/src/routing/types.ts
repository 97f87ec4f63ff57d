/**
 * Routing tables: the state of a channel. A table says which version (and which file-set variant)
 * a unit — a user, device or request key — is served. Only `stable` is required, so the
 * foundation's `{ stable: "1.1.0" }` rows stay valid tables.
 *
 * Weights are in basis points (bps): 10,000 bps = 100 %. Units are hashed into 10,000 buckets
 * (see `bucketOf`), so one bucket is one basis point of traffic.
 */

import type { DownloadConditions } from '../api/resolve.schema.ts';

export interface RoutingTable extends PlatformTable {
  /**
   * Per-platform replacement tables, keyed by `UnitContext.platform` (`ios`, `android`, `web`…).
   * A unit on a listed platform is routed by that table *instead of* the top-level one (it is a
   * whole table, not a patch, so what a platform gets is readable in one place). No nesting.
   */
  overrides?: Record<string, PlatformTable>;
}

/** A routing table without overrides: what one platform sees. */
export interface PlatformTable {
  /** Version served to everyone not routed elsewhere. Semver, e.g. `1.1.0`. */
  stable: string;
  /** Optional candidate: a canary weight or an A/B/n split. Absent = everyone on `stable`. */
  candidate?: Candidate;
  /**
   * Variant (file set) per platform, e.g. `{ android: 'int8', ios: 'coreml', '*': 'default' }`.
   * `'*'` is the fallback; without it, unlisted platforms get `'default'`. A variant pinned on
   * the candidate or an arm wins over this map.
   */
  variants?: Record<string, string>;
  /** Download conditions per platform (`'*'` = fallback), delivered to clients; see `mayDownload`. */
  download?: Record<string, DownloadConditions>;
}

export type Candidate = CanaryCandidate | SplitCandidate;

interface CandidateBase {
  /**
   * Salt of the sticky hash: a unit's bucket is `murmur3("<rolloutId>:<unitKey>") % 10000`.
   * Keep it fixed across the steps of one rollout so ramps are monotonic; a new rollout gets a
   * new id so it draws a fresh, independent sample of units.
   */
  rolloutId: string;
  /** Step constraints (all must hold). Units that fail any constraint stay on `stable`. */
  constraints?: Constraint[];
}

/** Canary: unit goes to `version` iff its bucket < `weightBps`. Raising the weight only adds units. */
export interface CanaryCandidate extends CandidateBase {
  version: string;
  /** Integer 0..10000. */
  weightBps: number;
  /** Pin a variant for candidate units (else the platform `variants` map applies). */
  variant?: string;
}

/** A/B/n: arms own disjoint bucket ranges; buckets no arm owns go to `stable`. */
export interface SplitCandidate extends CandidateBase {
  arms: Arm[];
}

/**
 * One arm of an A/B/n split. It owns buckets `[startBps, startBps + weightBps)`.
 * Either every arm of a split has `startBps` or none does; without starts, arms are laid out
 * cumulatively in declared order (see `arms.ts` for how starts are kept when weights change).
 */
export interface Arm {
  /** Reported as `Decision.arm`; unique in the split; not `stable` or `candidate`. */
  name: string;
  version: string;
  /** Pin a variant (an int8-vs-fp32 test is two arms on one version). */
  variant?: string;
  /** Integer 0..10000. */
  weightBps: number;
  /** Integer 0..9999; first bucket the arm owns. */
  startBps?: number;
}

/** Operators a constraint may use. Anything else is rejected with InvalidInputError. */
export const OPERATORS = ['in', 'notIn', 'eq', 'neq', 'semver', 'lt', 'lte', 'gt', 'gte'] as const;
export type Operator = (typeof OPERATORS)[number];

export type Scalar = string | number | boolean;

/**
 * A targeting condition on the unit's context. `attribute` is `platform`, `os`, `appVersion`,
 * `region`, or any other name, which is looked up in `UnitContext.attributes`.
 * - `in` / `notIn`: `value` is a non-empty list; `eq` / `neq`: a scalar. Compared as strings
 *   (`3` equals `"3"`), because contexts often arrive as headers or query strings.
 * - `semver`: `value` is a range (`>=2.3.0 <3`, `^1.4`); the attribute must be a valid version.
 * - `lt` / `lte` / `gt` / `gte`: `value` is a finite number; the attribute a number or numeric string.
 * A missing attribute fails every constraint, negative ones included: targeting never enrols a
 * unit it knows nothing about.
 */
export type Constraint =
  | { attribute: string; op: 'in' | 'notIn'; value: Scalar[] }
  | { attribute: string; op: 'eq' | 'neq'; value: Scalar }
  | { attribute: string; op: 'semver'; value: string }
  | { attribute: string; op: 'lt' | 'lte' | 'gt' | 'gte'; value: number };

/** What the caller knows about the unit. All optional. */
export interface UnitContext {
  platform?: string;
  os?: string;
  appVersion?: string;
  region?: string;
  attributes?: Readonly<Record<string, Scalar>>;
}

/** The answer of `resolve`. */
export interface Decision {
  version: string;
  variant: string;
  /** `stable`, `candidate` (canary) or the arm name (A/B/n). */
  arm: string;
}

/** When a client may fetch a version in the background: one shape with the API's (api/resolve.schema.ts). */
export type { DownloadConditions };
