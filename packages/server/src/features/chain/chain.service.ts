import type { Kysely } from 'kysely';
import { type BlockClockConfig, blockAt } from '@steward/core';
import type { Database } from '../../db/schema.ts';
import { loadOrCreateBlockClock } from './block-clock.store.ts';
import { createChainStoreSql } from './chain.store.sql.ts';

export interface ChainDeps {
  db: Kysely<Database>;
  now: () => Date;
  /** Only used when the clock is created; a stored interval always wins. */
  intervalMs?: number;
}

/**
 * The block clock and the hash-chained block log. The clock is read from `meta` once and cached
 * (it never changes once stored). Sealing runs on a timer (`start`) and before every read of the
 * head, so a reader always sees every past block sealed.
 */
export function createChainService(deps: ChainDeps) {
  const store = createChainStoreSql(deps.db);
  let clockP: Promise<BlockClockConfig> | undefined;
  const clock = () => (clockP ??= loadOrCreateBlockClock(deps.db, deps.now().getTime(), deps.intervalMs).catch((err: unknown) => {
    clockP = undefined;
    throw err;
  }));
  const currentBlock = async () => blockAt(deps.now().getTime(), await clock());
  let sealing: Promise<number> | undefined;
  /** Seals all past blocks; concurrent callers in one process share one pass. */
  const seal = () =>
    (sealing ??= (async () => {
      try {
        return await store.sealPast(await clock(), await currentBlock(), deps.now().toISOString());
      } finally {
        sealing = undefined;
      }
    })());
  let timer: ReturnType<typeof setInterval> | undefined;

  return {
    clock,
    currentBlock,
    seal,
    async head() {
      await seal();
      const c = await clock();
      return { currentBlock: blockAt(deps.now().getTime(), c), genesisMs: c.genesisMs, intervalMs: c.intervalMs, head: (await store.head()) ?? null };
    },
    async blocks(after: number, limit: number) {
      await seal();
      const items = await store.blocks(after, limit);
      const first = items[0];
      const anchor = first && after >= 0 ? ((await store.before(first.block.height)) ?? null) : null;
      return { items: items.map((i) => ({ block: { ...i.block }, events: [...i.events] })), anchor: anchor ? { ...anchor } : null };
    },
    events: store.events,
    /** Seals every interval until `stop`; unref'd so it never keeps a process alive. */
    async start(log: (msg: string, err: unknown) => void = console.error) {
      const c = await clock();
      timer ??= setInterval(() => void seal().catch((err: unknown) => log('block sealing failed', err)), Math.max(c.intervalMs, 250));
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await sealing?.catch(() => undefined);
    },
  };
}

export type ChainService = ReturnType<typeof createChainService>;
