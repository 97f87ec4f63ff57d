import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { type BlockHeader, type BlockWithEvents, GENESIS_PREV_HASH, blockAt, encodeEvent, makeBlock } from '@steward/core';
import { isUniqueViolation } from '../../db/connect.ts';
import type { Database } from '../../db/schema.ts';
import { type ChainAuditEventsTable, type BlocksTable, chainDb } from './chain.schema.ts';
import type { BlockClockConfig } from '@steward/core';

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

type EventRow = Selectable<ChainAuditEventsTable>;

/** An audit event as hashed: every column, details parsed, in canonical JSON (core chain/). */
export function eventText(r: EventRow): string {
  return encodeEvent({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as unknown, block: r.block });
}

/** In-block order: time, then id. Sorted in JS so both dialects (and their collations) agree. */
export const byTimeThenId = (a: EventRow, b: EventRow) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const toHeader = (r: Selectable<BlocksTable>): BlockHeader => ({
  height: Number(r.height),
  prevHash: r.prev_hash,
  eventsRoot: r.events_root,
  eventCount: Number(r.event_count),
  hash: r.hash,
});

/** Unsealed events looked at per pass; a backlog drains over several passes. */
const BATCH = 2000;

export function createChainStoreSql(base: Kysely<Database>) {
  const db = chainDb(base);
  const head = async () => {
    const r = await db.selectFrom('blocks').selectAll().orderBy('height', 'desc').limit(1).executeTakeFirst();
    return r ? toHeader(r) : undefined;
  };

  /**
   * Seals one block: the unsealed events whose block (by their `at`, or the block after the head
   * for an event that committed after its block was sealed) is the smallest one before
   * `currentBlock`. Returns false when nothing is left to seal. The block row and the events'
   * stamps are written in one transaction; the unique height and unique prev_hash make a racing
   * second sealer fail and roll back instead of forking the chain.
   */
  async function sealOne(clock: BlockClockConfig, currentBlock: number, nowIso: string): Promise<boolean> {
    try {
      return await db.transaction().execute(async (trx) => {
        const top = await trx.selectFrom('blocks').selectAll().orderBy('height', 'desc').limit(1).executeTakeFirst();
        const prev = top ? toHeader(top) : undefined;
        const floor = prev ? prev.height + 1 : 0;
        const rows = await trx.selectFrom('audit_events').selectAll().where('block', 'is', null).orderBy('at').limit(BATCH).execute();
        const landing = (r: EventRow) => Math.max(floor, naturalBlock(r.at, clock));
        let height = Infinity;
        for (const r of rows) height = Math.min(height, landing(r));
        if (!(height < currentBlock)) return false;
        const members = rows.filter((r) => landing(r) === height).map((r) => ({ ...r, block: height })).sort(byTimeThenId);
        const header = makeBlock({ height, prevHash: prev?.hash ?? GENESIS_PREV_HASH, events: members.map(eventText) }, sha256Hex);
        await trx
          .insertInto('blocks')
          .values({ height, prev_hash: header.prevHash, events_root: header.eventsRoot, event_count: header.eventCount, hash: header.hash, sealed_at: nowIso })
          .execute();
        for (let i = 0; i < members.length; i += 500) {
          const ids = members.slice(i, i + 500).map((m) => m.id);
          await trx.updateTable('audit_events').set({ block: height }).where('id', 'in', ids).where('block', 'is', null).execute();
        }
        return true;
      });
    } catch (err) {
      if (isUniqueViolation(err)) return true; // another sealer won this block: look again
      throw err;
    }
  }

  return {
    head,
    /** Seals every past block that holds events; idempotent. Returns how many blocks it sealed. */
    async sealPast(clock: BlockClockConfig, currentBlock: number, nowIso: string, maxBlocks = 10_000): Promise<number> {
      let n = 0;
      while (n < maxBlocks && (await sealOne(clock, currentBlock, nowIso))) n++;
      return n;
    },
    /** Blocks with `height > after`, ascending, with their events as hashed. */
    async blocks(after: number, limit: number): Promise<BlockWithEvents[]> {
      const rows = await db.selectFrom('blocks').selectAll().where('height', '>', after).orderBy('height', 'asc').limit(limit).execute();
      if (rows.length === 0) return [];
      const lo = Number(rows[0]!.height);
      const hi = Number(rows[rows.length - 1]!.height);
      const evs = await db.selectFrom('audit_events').selectAll().where('block', '>=', lo).where('block', '<=', hi).execute();
      const byBlock = new Map<number, EventRow[]>();
      for (const e of evs) {
        const list = byBlock.get(Number(e.block)) ?? [];
        list.push({ ...e, block: Number(e.block) });
        byBlock.set(Number(e.block), list);
      }
      return rows.map((r) => ({ block: toHeader(r), events: (byBlock.get(Number(r.height)) ?? []).sort(byTimeThenId).map(eventText) }));
    },
    /** Block row just before `height` (the anchor of a segment), if any. */
    async before(height: number) {
      const r = await db.selectFrom('blocks').selectAll().where('height', '<', height).orderBy('height', 'desc').limit(1).executeTakeFirst();
      return r ? toHeader(r) : undefined;
    },
    /** Audit events, newest first, optionally filtered. */
    async events(q: { limit: number; beforeAt?: string; action?: string; target?: string; actor?: string }) {
      let s = db.selectFrom('audit_events').selectAll();
      if (q.beforeAt) s = s.where('at', '<', q.beforeAt);
      if (q.action) s = s.where('action', '=', q.action);
      if (q.target) s = s.where('target', '=', q.target);
      if (q.actor) s = s.where('actor', '=', q.actor);
      const rows = await s.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: JSON.parse(r.details) as Record<string, unknown>, block: r.block === null ? null : Number(r.block) }));
    },
  };
}

/** The block an event's time falls in; events from before genesis (older installs) land in block 0. */
function naturalBlock(at: string, clock: BlockClockConfig): number {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms) || ms < clock.genesisMs) return 0;
  return blockAt(ms, clock);
}

export type ChainStore = ReturnType<typeof createChainStoreSql>;
