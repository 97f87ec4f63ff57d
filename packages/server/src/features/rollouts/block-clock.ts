import type { Kysely } from 'kysely';
import { DEFAULT_BLOCK_INTERVAL_MS, type BlockClockConfig } from '@steward/core';
import type { Database } from '../../db/schema.ts';

export const GENESIS_KEY = 'chain.genesis';
export const INTERVAL_KEY = 'chain.blockIntervalMs';

/** Genesis is ms since epoch as text; an ISO time written by another feature is accepted too. */
function parseMs(v: string): number | undefined {
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The block clock's persisted configuration. Whoever needs it first creates the `chain.genesis`
 * row (insert-if-absent, then re-read, so two processes racing agree on the winner's value).
 */
export async function loadBlockClock(kysely: Kysely<Database>, nowMs: number): Promise<BlockClockConfig> {
  const read = async () => kysely.selectFrom('meta').select(['key', 'value']).where('key', 'in', [GENESIS_KEY, INTERVAL_KEY]).execute();
  let rows = await read();
  if (!rows.some((r) => r.key === GENESIS_KEY)) {
    await kysely.insertInto('meta').values({ key: GENESIS_KEY, value: String(Math.floor(nowMs)) }).onConflict((oc) => oc.column('key').doNothing()).execute();
    rows = await read();
  }
  const genesisMs = parseMs(rows.find((r) => r.key === GENESIS_KEY)!.value) ?? Math.floor(nowMs);
  const interval = Number(rows.find((r) => r.key === INTERVAL_KEY)?.value);
  return { genesisMs, intervalMs: Number.isSafeInteger(interval) && interval > 0 ? interval : DEFAULT_BLOCK_INTERVAL_MS };
}
