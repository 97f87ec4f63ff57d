import { InvalidInputError, parseDurationMs, StewardError } from '@steward/core';

export type WakeReason = 'changed' | 'timeout' | 'aborted' | 'replaced' | 'closed';

interface Waiter {
  nodeId: string;
  keys: readonly string[];
  wake: (why: WakeReason) => void;
}

/**
 * Held long-poll requests, keyed by the channels they watch. In memory on purpose: it holds no
 * truth, only who to wake. A change this process makes is announced with `notify` at once; changes
 * made by another server are found by the service's poller (fleet.service.ts) and announced the
 * same way. Each channel has a sequence number so a change between a request's read and its wait
 * is not lost: `wait` returns at once when a watched sequence moved past what the caller saw.
 *
 * Bounded: at most `max` held requests (a further one gets 429 `too_many_waiting`), one per node (a
 * node's new request releases its previous one, e.g. after a dropped connection).
 */
export function createDesiredWatch(opts: { max: number }) {
  const byChannel = new Map<string, Set<Waiter>>();
  const byNode = new Map<string, Waiter>();
  const seqs = new Map<string, number>();
  let closed = false;

  const remove = (w: Waiter) => {
    if (byNode.get(w.nodeId) === w) byNode.delete(w.nodeId);
    for (const k of w.keys) {
      const set = byChannel.get(k);
      set?.delete(w);
      if (set?.size === 0) byChannel.delete(k);
    }
  };

  return {
    /** The channel's change counter: read it before reading the channel's tables. */
    seq: (key: string): number => seqs.get(key) ?? 0,

    /** Wakes every request watching `key`. */
    notify(key: string): void {
      seqs.set(key, (seqs.get(key) ?? 0) + 1);
      for (const w of [...(byChannel.get(key) ?? [])]) w.wake('changed');
    },

    /**
     * Holds until a watched channel changes, `ms` pass, `signal` aborts, the node asks again, or
     * the watch closes. `seen[i]` is `seq(keys[i])` as read before the caller's read.
     */
    wait(nodeId: string, keys: readonly string[], seen: readonly number[], ms: number, signal?: AbortSignal): Promise<WakeReason> {
      if (closed) return Promise.resolve('closed');
      if (signal?.aborted) return Promise.resolve('aborted');
      if (keys.some((k, i) => (seqs.get(k) ?? 0) !== seen[i])) return Promise.resolve('changed');
      byNode.get(nodeId)?.wake('replaced');
      if (byNode.size >= opts.max) {
        return Promise.reject(
          new StewardError('too_many_waiting', `this server already holds ${opts.max} long-poll requests; retry later or heartbeat instead`, 429, { max: opts.max, retryAfterMs: 5000 }),
        );
      }
      return new Promise<WakeReason>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const onAbort = () => w.wake('aborted');
        const w: Waiter = {
          nodeId,
          keys,
          wake: (why) => {
            remove(w);
            if (timer) clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(why);
          },
        };
        byNode.set(nodeId, w);
        for (const k of keys) {
          let set = byChannel.get(k);
          if (!set) byChannel.set(k, (set = new Set()));
          set.add(w);
        }
        timer = setTimeout(() => w.wake('timeout'), ms);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },

    /** Channels at least one held request watches (what the cross-server poller checks). */
    watched: (): string[] => [...byChannel.keys()],
    size: (): number => byNode.size,

    /** Releases every held request ('closed') and refuses new waits: server shutdown. */
    close(): void {
      closed = true;
      for (const w of [...byNode.values()]) w.wake('closed');
    },
  };
}

export type DesiredWatch = ReturnType<typeof createDesiredWatch>;

/**
 * `wait` of a long-poll: a duration (`30s`, `500ms`) or a bare number of seconds; 0 answers at once. More than
 * `maxMs` (default 60 s: proxies commonly cut idle requests at 60 s) or anything else is a 400.
 */
export function parseWait(wait: string | undefined, maxMs = 60_000): number {
  if (wait === undefined || wait === '') return 0;
  const ms = parseDurationMs(wait, { bare: 's' });
  if (ms === undefined || ms > maxMs) {
    throw new InvalidInputError(`wait must be a duration from 0 to ${maxMs / 1000}s such as "30s" or "500ms" (got "${wait}")`, { wait, maxMs }, 'invalid_wait');
  }
  return ms;
}
