import type { RoutingTable } from '../channels/channels.types.ts';
import type { ChannelDesired } from './desired-tables.ts';
import type { InstalledVersion } from './fleet.types.ts';
import { versionsOf } from './table-versions.ts';

/** A heartbeat's answer but for `nodeId`: the same for every node with the same report at a block. */
export interface SharedAnswer {
  currentBlock: number;
  genesisMs: number;
  intervalMs: number;
  heartbeatIntervalMs: number;
  activationDelay: number;
  rollbackDelay: number;
  lagging: boolean;
  flagged: InstalledVersion[];
  channels: (ChannelDesired & { lagging: boolean; missing: string[] })[];
  etag: string;
}

/** Versions of `table` the node does not hold verified (`good` holds `model@version`). */
function lacking(model: string, table: RoutingTable | null | undefined, good: ReadonlySet<string>): string[] {
  return table ? versionsOf(table).filter((v) => !good.has(`${model}@${v}`)) : [];
}

/**
 * Per channel: whether the node lags (lacks a version of the table in force) and what it should
 * fetch: the versions of the tables in force, scheduled or pending that it does not hold verified
 * (installed under the registry's digest).
 */
export function channelAnswers(want: readonly ChannelDesired[], installed: readonly InstalledVersion[], flagged: readonly InstalledVersion[], block: number): SharedAnswer['channels'] {
  const wrong = new Set(flagged.map((i) => `${i.model}@${i.version}@${i.digest}`));
  const good = new Set(installed.filter((i) => !wrong.has(`${i.model}@${i.version}@${i.digest}`)).map((i) => `${i.model}@${i.version}`));
  return want.map((d) => {
    const missing = new Set<string>();
    for (const h of d.history) if (h.usableFromBlock >= block || h.table === d.inForce) for (const v of lacking(d.model, h.table, good)) missing.add(v);
    for (const v of lacking(d.model, d.pending?.table, good)) missing.add(v);
    return { ...d, lagging: lacking(d.model, d.inForce, good).length > 0, missing: [...missing] };
  });
}

/**
 * Answers shared across nodes: at 2,000 heartbeats a second most nodes report the same channels
 * and installs, so their answers (but for `nodeId`) are equal within a block. Keyed by the
 * report's text, single-flight (the heartbeats that arrive while one is built share it), dropped
 * when the block moves on and whenever a channel's tables change (`invalidate`): an answer still
 * being built from the old tables then goes only to the heartbeats already waiting for it.
 */
export function createAnswerCache(max = 10_000) {
  let block = -1;
  const answers = new Map<string, Promise<SharedAnswer>>();
  return {
    /** The shared answer for `report` at `atBlock`, built by `build` unless one is cached or on its way. */
    share(report: string, atBlock: number, build: () => Promise<SharedAnswer>): Promise<SharedAnswer> {
      if (atBlock < block) return build(); // a heartbeat that read the clock before the block moved on
      if (atBlock > block) {
        answers.clear();
        block = atBlock;
      }
      const hit = answers.get(report);
      if (hit) return hit;
      if (answers.size >= max) answers.clear();
      const p = build();
      answers.set(report, p);
      p.catch(() => answers.get(report) === p && answers.delete(report));
      return p;
    },
    invalidate(): void {
      answers.clear();
    },
  };
}
