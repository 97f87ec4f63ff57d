/**
 * Uniform reservoir sample of fixed capacity (Vitter's Algorithm R) with the PRNG passed in, so
 * runs are reproducible. Merging two reservoirs draws each slot from a side with probability
 * proportional to the number of items that side has seen, which keeps the merged sample uniform
 * over the union of both streams.
 */
import type { Random } from './prng.ts';

export interface ReservoirState<T> {
  capacity: number;
  /** Items seen, including those not kept. */
  seen: number;
  items: T[];
}

export function emptyReservoir<T>(capacity: number): ReservoirState<T> {
  if (!(capacity > 0)) throw new RangeError('reservoir capacity must be positive');
  return { capacity, seen: 0, items: [] };
}

export function addToReservoir<T>(r: ReservoirState<T>, item: T, random: Random): void {
  r.seen++;
  if (r.items.length < r.capacity) {
    r.items.push(item);
    return;
  }
  const j = Math.floor(random.next() * r.seen);
  if (j < r.capacity) r.items[j] = item;
}

export function mergeReservoirs<T>(a: ReservoirState<T>, b: ReservoirState<T>, random: Random): ReservoirState<T> {
  const capacity = Math.min(a.capacity, b.capacity);
  const seen = a.seen + b.seen;
  const poolA = a.items.slice();
  const poolB = b.items.slice();
  let remA = a.seen;
  let remB = b.seen;
  const items: T[] = [];
  while (items.length < capacity && (poolA.length > 0 || poolB.length > 0)) {
    // Pick a side by the weight of the stream it stands for, then a random kept item from it.
    const takeA = poolB.length === 0 || (poolA.length > 0 && random.next() * (remA + remB) < remA);
    const pool = takeA ? poolA : poolB;
    const idx = Math.floor(random.next() * pool.length);
    items.push(pool[idx] as T);
    pool[idx] = pool[pool.length - 1] as T;
    pool.pop();
    // Hypergeometric draw over the streams themselves: one fewer unseen-by-the-merge item on that side.
    if (takeA) remA--;
    else remB--;
  }
  return { capacity, seen, items };
}
