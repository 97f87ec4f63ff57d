/**
 * Runs `fn` on every item, at most `limit` at a time (a round trip each, say: one after another,
 * a thousand-file model over a slow link waited a round trip per file). Rejects with the first
 * failure, as Promise.all does; the other lanes go on through the items left.
 */
export async function forEachInFlight<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
