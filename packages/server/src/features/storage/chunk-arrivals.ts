/**
 * Wakes recipe checks that wait for chunks still being uploaded (blobs/recipe-check.ts) as soon as
 * this process indexes new ones. Uploads to another replica are not seen here, so waiters also
 * look at the index again on a timer.
 */
const waiters = new Set<() => void>();
let indexed = 0;

/** Called once a pack's index rows are committed. */
export function chunksIndexed(): void {
  indexed++;
  for (const wake of [...waiters]) wake();
}

/** How many packs this process has indexed so far: a waiter compares it to see whether uploads still go on. */
export const indexedCount = (): number => indexed;

/** Resolves at the next chunksIndexed, or after `ms`. */
export function nextArrival(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      waiters.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    timer.unref();
    waiters.add(wake);
  });
}
