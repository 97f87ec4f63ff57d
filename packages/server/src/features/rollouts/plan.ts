import type { Candidate, PlatformTable, RoutingTable } from '@steward/core';
import type { RolloutSpec } from './rollouts.types.ts';

/** Arm names of an A/B rollout: `a` keeps the previous stable, `b` is the new version. */
export const AB_ARMS = { control: 'a', treatment: 'b' } as const;

function withoutCandidate(t: PlatformTable): PlatformTable {
  const { candidate: _drop, ...rest } = t;
  return rest;
}

function mergeDownload(t: PlatformTable, spec: RolloutSpec): PlatformTable {
  return spec.download ? { ...t, download: { ...(t.download ?? {}), ...spec.download } } : t;
}

/**
 * The table while a candidate gets `candidate`'s traffic: the previous table (stable, variants,
 * overrides kept) plus the candidate on the top level and on every platform override, so a
 * platform override never escapes the rollout. A per-platform variant pin becomes an override
 * for that platform whose candidate pins the variant (the stable side keeps its own variant).
 */
export function tableWithCandidate(prev: RoutingTable, spec: RolloutSpec, candidate: Candidate): RoutingTable {
  const { overrides, ...top } = prev;
  const base = mergeDownload(withoutCandidate(top), spec);
  const out: RoutingTable = { ...base, candidate };
  const next: Record<string, PlatformTable> = {};
  for (const [p, ov] of Object.entries(overrides ?? {})) next[p] = { ...mergeDownload(withoutCandidate(ov), spec), candidate };
  for (const [p, variant] of Object.entries(spec.platformVariants ?? {})) {
    const own = next[p] ?? base;
    next[p] = { ...own, candidate: 'arms' in candidate ? candidate : { ...candidate, variant } };
  }
  if (Object.keys(next).length > 0) out.overrides = next;
  return out;
}

/** Canary / blue-green candidate at a weight. */
export function canaryTable(prev: RoutingTable, spec: RolloutSpec, rolloutId: string, weightBps: number): RoutingTable {
  const candidate: Candidate = {
    rolloutId,
    version: spec.version,
    weightBps,
    ...(spec.variant !== undefined ? { variant: spec.variant } : {}),
    ...(spec.constraints?.length ? { constraints: spec.constraints } : {}),
  };
  return tableWithCandidate(prev, spec, candidate);
}

/** A/B: a fixed split between the previous stable (arm `a`) and the new version (arm `b`). */
export function abTable(prev: RoutingTable, spec: RolloutSpec, rolloutId: string): RoutingTable {
  const split = spec.splitBps ?? 5000;
  const candidate: Candidate = {
    rolloutId,
    arms: [
      { name: AB_ARMS.control, version: prev.stable, weightBps: 10_000 - split, startBps: 0 },
      { name: AB_ARMS.treatment, version: spec.version, weightBps: split, startBps: 10_000 - split, ...(spec.variant !== undefined ? { variant: spec.variant } : {}) },
    ],
    ...(spec.constraints?.length ? { constraints: spec.constraints } : {}),
  };
  return tableWithCandidate(prev, spec, candidate);
}

/**
 * The table after promotion: everyone on the new version. Previous platform overrides are dropped
 * (they pinned the old version); the rollout's variant pins become the `variants` map.
 */
export function finalTable(prev: RoutingTable, spec: RolloutSpec): RoutingTable {
  const pins = spec.platformVariants ?? {};
  const variants = spec.variant !== undefined || Object.keys(pins).length > 0 ? { ...pins, '*': spec.variant ?? 'default' } : prev.variants;
  const download = spec.download ? { ...(prev.download ?? {}), ...spec.download } : prev.download;
  return { stable: spec.version, ...(variants ? { variants } : {}), ...(download ? { download } : {}) };
}
