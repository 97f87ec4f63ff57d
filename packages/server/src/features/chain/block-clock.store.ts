import type { Kysely } from 'kysely';
import { type BlockClockConfig, DEFAULT_BLOCK_INTERVAL_MS, validateBlockClock } from '@steward/core';
import type { Database } from '../../db/schema.ts';

/** `meta` keys shared with the rollouts feature. Values: decimal integer milliseconds. */
export const GENESIS_KEY = 'chain.genesis';
export const INTERVAL_KEY = 'chain.interval';

/**
 * The persisted block clock: created on first use (genesis = now rounded down to the interval),
 * reused as stored afterwards (a changed interval flag is ignored: changing it would shift every
 * stored block stamp). Two servers starting at once both insert with "on conflict do nothing"
 * and then read back the one row that won, so they agree.
 */
export async function loadOrCreateBlockClock(db: Kysely<Database>, nowMs: number, intervalMs = DEFAULT_BLOCK_INTERVAL_MS): Promise<BlockClockConfig> {
  const read = async () => {
    const rows = await db.selectFrom('meta').select(['key', 'value']).where('key', 'in', [GENESIS_KEY, INTERVAL_KEY]).execute();
    const get = (k: string) => rows.find((r) => r.key === k)?.value;
    return { genesis: get(GENESIS_KEY), interval: get(INTERVAL_KEY) };
  };
  let found = await read();
  if (found.genesis === undefined || found.interval === undefined) {
    const genesisMs = nowMs - (nowMs % intervalMs);
    for (const [key, value] of [[INTERVAL_KEY, String(intervalMs)], [GENESIS_KEY, String(genesisMs)]] as const) {
      await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    }
    found = await read();
  }
  const config = { genesisMs: Number(found.genesis), intervalMs: Number(found.interval) };
  validateBlockClock(config);
  return config;
}
