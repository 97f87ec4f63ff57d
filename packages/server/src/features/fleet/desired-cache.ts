import type { RoutingTable } from '../channels/channels.types.ts';
import { type ChannelDesired, desiredFor } from './desired-tables.ts';
import type { Transition } from './fleet.types.ts';

/**
 * A channel's transitions as read from the database. The tag names them (ids, states, switch
 * blocks; the channel's table when it has none), not the block: it changes exactly when a node has
 * something new to learn, which is what long-polls wait for.
 */
export interface ChannelRead {
  rows: Transition[];
  fallback: RoutingTable | null;
  tag: string;
}

export interface DesiredEntry {
  value: ChannelDesired;
  tag: string;
}

interface Slot {
  block: number;
  read: Promise<ChannelRead>;
  /** The read has succeeded: later blocks may be answered from it while it is re-read. */
  settled: boolean;
  value?: Promise<DesiredEntry>;
}

/**
 * What each channel's nodes should know, per block. The first request of a channel waits for one
 * read (single-flight); after that, the first request of each block is answered from the last
 * read at once (the answer at a block is computed from the transitions, so only a change made
 * elsewhere can be missing) while the channel is re-read beside it: heartbeats at a block boundary
 * no longer wait for a query behind the group commit. A change made through this server `drop`s
 * the channel, so its own changes are read before the next answer; one made through another
 * server is seen by the re-read of the next block (`onChanged` fires when the tag moved) or by the
 * long-poll cross-check (`refresh`), well within activationDelay and rollbackDelay.
 */
export function createDesiredCache(deps: { read: (model: string, channel: string) => Promise<ChannelRead>; onChanged: (key: string) => void; log: (msg: string, err: unknown) => void }) {
  const slots = new Map<string, Slot>();
  /** Bumped whenever a key's slot is replaced or dropped: a read that started before is older than what is cached. */
  const gens = new Map<string, number>();
  const genOf = (k: string) => gens.get(k) ?? 0;
  const setSlot = (k: string, slot: Slot) => {
    slots.set(k, slot);
    gens.set(k, genOf(k) + 1);
  };
  const key = (model: string, channel: string) => `${model}\u0000${channel}`;
  const valueOf = (slot: Slot, model: string, channel: string) =>
    (slot.value ??= slot.read.then((r) => ({ value: desiredFor(model, channel, r.rows, slot.block, r.fallback), tag: r.tag })));

  function reread(k: string, model: string, channel: string, slot: Slot): void {
    void (async () => {
      const old = await slot.read;
      const fresh = await deps.read(model, channel);
      if (slots.get(k) !== slot) return; // dropped (a change here) or replaced meanwhile
      setSlot(k, { block: slot.block, read: Promise.resolve(fresh), settled: true });
      if (fresh.tag !== old.tag) deps.onChanged(k);
    })().catch((err: unknown) => deps.log('fleet: re-reading channel transitions failed', err));
  }

  return {
    get(model: string, channel: string, block: number): Promise<DesiredEntry> {
      const k = key(model, channel);
      const hit = slots.get(k);
      if (hit) {
        if (hit.block === block) return valueOf(hit, model, channel);
        if (hit.settled && hit.block < block) {
          const slot: Slot = { block, read: hit.read, settled: true };
          setSlot(k, slot);
          reread(k, model, channel, slot);
          return valueOf(slot, model, channel);
        }
        // A read still on its way, or a request that read the clock before the block moved on.
        return valueOf({ block, read: hit.read, settled: false }, model, channel);
      }
      const slot: Slot = { block, read: deps.read(model, channel), settled: false };
      setSlot(k, slot);
      slot.read.then(
        () => (slot.settled = true),
        () => slots.get(k) === slot && slots.delete(k), // a failed read is not kept
      );
      return valueOf(slot, model, channel);
    },
    /**
     * Re-reads a channel now (the long-poll cross-check) and keeps the read when its tag differs
     * from the cached one; true when it did (wake the channel's requests). A read overtaken by a
     * change made here (`drop`) or by any newer read is discarded: it may predate that change, and
     * keeping it would hide the change until the next block.
     */
    async refresh(model: string, channel: string, block: number): Promise<boolean> {
      const k = key(model, channel);
      const gen = genOf(k);
      const fresh = await deps.read(model, channel);
      if (genOf(k) !== gen) return false;
      const cached = await slots.get(k)?.read.then((r) => r.tag, () => undefined);
      if (genOf(k) !== gen || cached === fresh.tag) return false;
      setSlot(k, { block, read: Promise.resolve(fresh), settled: true });
      return true;
    },
    drop(k: string): void {
      slots.delete(k);
      gens.set(k, genOf(k) + 1);
    },
  };
}
