import { InvalidInputError } from '../errors.ts';

/** What a node last reported in its heartbeat. */
export interface NodeReport {
  readonly id: string;
  /** Block of the node's last heartbeat (the server converts its ms receipt time with blockAt). */
  readonly lastHeartbeatBlock: number;
  /** Versions the node has downloaded, verified and loaded, with the digest it computed. */
  readonly installed: readonly { readonly version: string; readonly digest: string }[];
}

/**
 * For each version the proposed table references, the digests the registry knows for it (one per
 * variant: a node installs the variant its platform allows). Compared as exact strings.
 */
export type RequiredDigests = Readonly<Record<string, string | readonly string[]>>;

export interface DigestMismatch {
  readonly nodeId: string;
  readonly version: string;
  readonly digest: string;
}

export interface FleetReadiness {
  /** Nodes whose heartbeat is within the TTL: the quorum's denominator. */
  readonly live: readonly string[];
  /** Live nodes with every required version installed under a registry digest. */
  readonly ready: readonly string[];
  /** Nodes (live or not) reporting a required version under a digest the registry does not know. */
  readonly flagged: readonly string[];
  readonly mismatches: readonly DigestMismatch[];
}

/**
 * Quorum counts digests, not names. A node with a wrong digest for any required version is
 * flagged and never counts, even if another entry for that version matches: a node that reports
 * two different bytes for one version cannot be trusted to serve the right one. Dead nodes are
 * flagged too (a wrong digest is worth showing whatever the node's liveness) but never counted.
 */
export function assessFleet(
  nodes: readonly NodeReport[],
  required: RequiredDigests,
  at: { readonly currentBlock: number; readonly livenessTtlBlocks: number },
): FleetReadiness {
  if (!Number.isSafeInteger(at.livenessTtlBlocks) || at.livenessTtlBlocks < 0) {
    throw new InvalidInputError('livenessTtlBlocks must be a non-negative integer', { livenessTtlBlocks: at.livenessTtlBlocks });
  }
  const versions = Object.keys(required);
  const live: string[] = [];
  const ready: string[] = [];
  const flagged: string[] = [];
  const mismatches: DigestMismatch[] = [];
  for (const node of nodes) {
    // A heartbeat stamped after the current block can only come from clock skew between
    // server processes; it is recent, so it counts as live.
    const isLive = at.currentBlock - node.lastHeartbeatBlock <= at.livenessTtlBlocks;
    let complete = true;
    let wrong = false;
    for (const version of versions) {
      const accepted = acceptedDigests(required, version);
      const reports = node.installed.filter((i) => i.version === version);
      for (const r of reports.filter((i) => !accepted.includes(i.digest))) {
        wrong = true;
        mismatches.push({ nodeId: node.id, version, digest: r.digest });
      }
      if (!reports.some((i) => accepted.includes(i.digest))) complete = false;
    }
    if (wrong) flagged.push(node.id);
    if (isLive) live.push(node.id);
    if (isLive && complete && !wrong) ready.push(node.id);
  }
  return { live, ready, flagged, mismatches };
}

function acceptedDigests(required: RequiredDigests, version: string): readonly string[] {
  const d = required[version];
  return typeof d === 'string' ? [d] : (d ?? []);
}

/**
 * Smallest number of ready nodes that makes `fraction` of `live`. The epsilon absorbs binary
 * floating point: 0.07 × 100 is 7.000000000000001, which must still need 7, not 8; and 2/3 × 3 must
 * need exactly 2. At least one node is needed whenever any is live.
 */
export function quorumNeed(live: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new InvalidInputError('quorum must be in (0, 1]', { quorum: fraction });
  if (live === 0) return 0;
  return Math.max(1, Math.ceil(fraction * live - 1e-9));
}
