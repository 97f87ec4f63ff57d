import { InvalidInputError } from '../errors.ts';
import { BUCKETS } from './bucket.ts';
import type { Arm } from './types.ts';

/**
 * A/B/n layout. Each arm owns the bucket range `[start, start + weightBps)`; buckets no arm owns
 * go to `stable`. Keeping a unit's arm when the split changes means keeping the arm's *start*:
 *
 * - Implicit layout (no `startBps` anywhere): starts are cumulative in declared order
 *   (`start_i = w_0 + … + w_{i-1}`). Appending an arm or changing the *last* arm's weight keeps
 *   every start; changing or removing an earlier arm shifts the arms after it. Fine for a split
 *   that is set once; for a split that evolves, store explicit starts with `layoutArms`.
 * - Explicit layout (`startBps` on every arm): starts are data, so `resolve` never moves them.
 *   `layoutArms(previous, desired)` computes the next explicit layout:
 *     - reweighting: an arm keeps its start; shrinking trims the end of its range (those units
 *       go to stable), growing extends the end into free buckets;
 *     - removing: the arm's range becomes free (its units go to stable); nobody else moves;
 *     - adding: the new arm takes the first free gap that fits.
 *   Only when an arm's grown range would overlap a neighbour, or no gap fits a new arm, does an
 *   arm get a new start; `moved` names those arms (their units are re-drawn), and in the worst
 *   case (fragmentation) everything is compacted in declared order.
 */

/** Start bucket of each arm, explicit or cumulative. Same order as `arms`. */
export function armStarts(arms: readonly Arm[]): number[] {
  const starts: number[] = [];
  let acc = 0;
  for (const a of arms) {
    starts.push(a.startBps ?? acc);
    acc += a.weightBps;
  }
  return starts;
}

/** The arm owning `bucket`, or undefined (stable). Hot path: no allocation. */
export function findArm(arms: readonly Arm[], bucket: number): Arm | undefined {
  let acc = 0;
  for (const a of arms) {
    const start = a.startBps ?? acc;
    if (bucket >= start && bucket < start + a.weightBps) return a;
    acc += a.weightBps;
  }
  return undefined;
}

/** An arm as the caller wants it next, before starts are assigned. */
export type ArmSpec = Omit<Arm, 'startBps'>;

export interface ArmLayout {
  /** Arms in `desired` order, each with an explicit `startBps`. */
  arms: Arm[];
  /** Names of arms that existed before and got a different start (their units are re-drawn). */
  moved: string[];
}

interface Interval {
  start: number;
  end: number; // exclusive
}

/** Next explicit layout that keeps previous starts wherever it can; see the module comment. */
export function layoutArms(previous: readonly Arm[] | undefined, desired: readonly ArmSpec[]): ArmLayout {
  const total = desired.reduce((s, a) => s + a.weightBps, 0);
  if (total > BUCKETS) {
    throw new InvalidInputError(`arm weights sum to ${total} bps, more than ${BUCKETS}`, { path: 'arms', total });
  }
  const prevStart = new Map<string, number>();
  if (previous !== undefined) {
    const starts = armStarts(previous);
    previous.forEach((a, i) => prevStart.set(a.name, starts[i]!));
  }
  const prevWeight = new Map(previous?.map((a) => [a.name, a.weightBps]) ?? []);
  const start = new Map<string, number>();
  const placed: Interval[] = [];
  const overlaps = (iv: Interval): boolean => placed.some((p) => iv.start < p.end && p.start < iv.end);

  // Arms that did not grow stay inside their old ranges, which were disjoint: place them first.
  // Growing arms then keep their start only if the extension lands on free buckets.
  const kept = desired.filter((a) => prevStart.has(a.name));
  const notGrowing = kept.filter((a) => a.weightBps <= (prevWeight.get(a.name) ?? 0));
  const growing = kept.filter((a) => a.weightBps > (prevWeight.get(a.name) ?? 0));
  growing.sort((x, y) => prevStart.get(x.name)! - prevStart.get(y.name)!);
  for (const a of [...notGrowing, ...growing]) {
    const s = prevStart.get(a.name)!;
    const iv = { start: s, end: s + a.weightBps };
    if (iv.end <= BUCKETS && !overlaps(iv)) {
      start.set(a.name, s);
      if (a.weightBps > 0) placed.push(iv);
    }
  }
  // New arms and arms that could not stay: first free gap that fits, in desired order.
  for (const a of desired) {
    if (start.has(a.name)) continue;
    const s = firstFit(placed, a.weightBps);
    if (s === undefined) return compact(desired, prevStart);
    start.set(a.name, s);
    if (a.weightBps > 0) placed.push({ start: s, end: s + a.weightBps });
  }
  const arms = desired.map((a) => ({ ...a, startBps: start.get(a.name)! }));
  const moved = arms.filter((a) => prevStart.has(a.name) && prevStart.get(a.name) !== a.startBps).map((a) => a.name);
  return { arms, moved };
}

function firstFit(placed: readonly Interval[], width: number): number | undefined {
  const sorted = [...placed].sort((a, b) => a.start - b.start);
  let cursor = 0;
  for (const p of sorted) {
    if (p.start - cursor >= width) return cursor;
    cursor = Math.max(cursor, p.end);
  }
  return BUCKETS - cursor >= width ? cursor : undefined;
}

function compact(desired: readonly ArmSpec[], prevStart: ReadonlyMap<string, number>): ArmLayout {
  let acc = 0;
  const arms = desired.map((a) => {
    const arm = { ...a, startBps: acc };
    acc += a.weightBps;
    return arm;
  });
  const moved = arms.filter((a) => prevStart.has(a.name) && prevStart.get(a.name) !== a.startBps).map((a) => a.name);
  return { arms, moved };
}
