/**
 * The chunks a running fetch is bringing into the cache, for a rebuild that runs beside it:
 * `wait(id)` resolves once the segment holding the chunk is committed (readable), or once the
 * fetch has ended without it (the rebuild then finds it missing and fetches it itself), and
 * rejects with the fetch's error if the fetch failed. Chunks the fetch is not bringing need no
 * wait (`wait` returns undefined).
 *
 * @example
 * const arrivals = new ChunkArrivals(plan.fetch.map((c) => c.id));
 * const fetching = fetchIntoCache(client, cache, plan.fetch, { onCached: (ids) => arrivals.arrived(ids) })
 *   .then((r) => (arrivals.end(), r), (err) => { arrivals.end(err); throw err; });
 */
export class ChunkArrivals {
  readonly #expected: Set<string>;
  readonly #waits = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void }>();
  #failure: { err: unknown } | undefined;
  #ended = false;

  constructor(ids: Iterable<string>) {
    this.#expected = new Set(ids);
  }

  /** Whether the fetch is still running. */
  get fetching(): boolean {
    return !this.#ended;
  }

  /** Undefined when `id` is readable now, or will never come from this fetch. */
  wait(id: string): Promise<void> | undefined {
    if (this.#failure) return Promise.reject(this.#failure.err);
    if (!this.#expected.has(id)) return undefined;
    let w = this.#waits.get(id);
    if (!w) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#waits.set(id, (w = { promise, resolve, reject }));
    }
    return w.promise;
  }

  /** These chunks are now readable from the cache. */
  arrived(ids: Iterable<string>): void {
    for (const id of ids) {
      this.#expected.delete(id);
      this.#waits.get(id)?.resolve();
      this.#waits.delete(id);
    }
  }

  /** The fetch is over: every wait resolves, or rejects with `err` when it failed. */
  end(err?: unknown): void {
    this.#ended = true;
    if (err !== undefined) this.#failure = { err };
    for (const w of this.#waits.values()) {
      if (err === undefined) w.resolve();
      else w.reject(err);
    }
    this.#waits.clear();
    this.#expected.clear();
  }
}
