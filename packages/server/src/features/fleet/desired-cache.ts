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
 * long-poll cross-check (`put`), well within activationDelay and rollbackDelay.
 */
export function createDesiredCache(deps: { read: (model: string, channel: string) => Promise<ChannelRead>; onChanged: (key: string) => void; log: (msg: string, err: unknown) => void }) {
  const slots = new Map<string, Slot>();
  const key = (model: string, channel: string) => `${model}\u0000${channel}`;
  const valueOf = (slot: Slot, model: string, channel: string) =>
    (slot.value ??= slot.read.then((r) => ({ value: desiredFor(model, channel, r.rows, slot.block, r.fallback), tag: r.tag })));

  function reread(k: string, model: string, channel: string, slot: Slot): void {
    void (async () => {
      const old = await slot.read;
      const fresh = await deps.read(model, channel);
      if (slots.get(k) !== slot) return; // dropped (a change here) or replaced meanwhile
      slots.set(k, { block: slot.block, read: Promise.resolve(fresh), settled: true });
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
          slots.set(k, slot);
          reread(k, model, channel, slot);
          return valueOf(slot, model, channel);
        }
        // A read still on its way, or a request that read the clock before the block moved on.
        return valueOf({ block, read: hit.read, settled: false }, model, channel);
      }
      const slot: Slot = { block, read: deps.read(model, channel), settled: false };
      slots.set(k, slot);
      slot.read.then(
        () => (slot.settled = true),
        () => slots.get(k) === slot && slots.delete(k), // a failed read is not kept
      );
      return valueOf(slot, model, channel);
    },
    /** The last read tag of a channel, if any (the long-poll cross-check compares it). */
    async tagOf(k: string): Promise<string | undefined> {
      return slots.get(k)?.read.then((r) => r.tag, () => undefined);
    },
    put(k: string, block: number, read: ChannelRead): void {
      slots.set(k, { block, read: Promise.resolve(read), settled: true });
    },
    drop(k: string): void {
      slots.delete(k);
    },
  };
}
