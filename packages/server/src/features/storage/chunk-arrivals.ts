/**
 * Wakes recipe checks that wait for chunks still being uploaded (blobs/recipe-check.ts) as soon as
 * a pack writer of the same app indexes new ones. Uploads to another replica are not seen here,
 * so waiters also look at the index again on a timer.
 */
export class ChunkArrivals {
  readonly #waiters = new Set<() => void>();
  #indexed = 0;

  /** Called once a pack's index rows are committed. */
  indexed(): void {
    this.#indexed++;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Packs indexed so far: a waiter compares it to see whether uploads still go on. */
  get count(): number {
    return this.#indexed;
  }

  /** Resolves at the next `indexed`, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.#waiters.add(wake);
    });
  }
}
