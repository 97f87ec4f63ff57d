/** A recipe's chunk list, as `GET /blobs/{sha}/recipe` gives it. */
export type ChunkList = readonly { id: string; size: number }[];

/** At most this many base chunks, and this many bytes of them, per fetched chunk. */
export const MAX_BASES = 8;
export const MAX_BASE_BYTES = 1024 * 1024;

/** The old recipe sharing the most chunks with `target` (null if none shares any). */
export function closestRecipe(target: ChunkList, olds: readonly ChunkList[]): ChunkList | null {
  const ids = new Set(target.map((c) => c.id));
  let best: ChunkList | null = null;
  let bestShared = 0;
  for (const old of olds) {
    let shared = 0;
    for (const c of new Set(old.map((o) => o.id))) if (ids.has(c)) shared++;
    if (shared > bestShared) [best, bestShared] = [old, shared];
  }
  return best;
}

const offsets = (list: ChunkList): number[] => {
  const out: number[] = [];
  let at = 0;
  for (const c of list) (out.push(at), (at += c.size));
  return out;
};

/**
 * For each chunk of `target` in `want`, the chunks of `old` that hold the old bytes at the same
 * place: the file's layout is aligned on the nearest chunk both share (before it, else after it),
 * so a header that grew still lines up. A fetched chunk that is half unchanged (the chunk around
 * an edit) then compresses against those bytes to little more than its changes (zstd with the
 * bases as a raw content dictionary). Bases are only hints: any wrong choice costs bytes, never
 * correctness, since every fetched chunk is verified by its SHA-256.
 */
export function alignedBases(target: ChunkList, old: ChunkList, want: ReadonlySet<string>): Map<string, string[]> {
  const oldAt = offsets(old);
  const oldOffsetOf = new Map<string, number>();
  old.forEach((c, i) => oldOffsetOf.has(c.id) || oldOffsetOf.set(c.id, oldAt[i]!));
  const newAt = offsets(target);
  // delta (old offset − new offset) of the nearest shared chunk before / after each position
  const before: (number | undefined)[] = [];
  let d: number | undefined;
  target.forEach((c, i) => {
    const o = oldOffsetOf.get(c.id);
    if (o !== undefined) d = o - newAt[i]!;
    before.push(d);
  });
  const after: (number | undefined)[] = new Array(target.length);
  d = undefined;
  for (let i = target.length - 1; i >= 0; i--) {
    const o = oldOffsetOf.get(target[i]!.id);
    if (o !== undefined) d = o - newAt[i]!;
    after[i] = d;
  }
  const out = new Map<string, string[]>();
  target.forEach((c, i) => {
    if (!want.has(c.id) || out.has(c.id)) return;
    const delta = before[i] ?? after[i];
    if (delta === undefined) return;
    const from = newAt[i]! + delta;
    const to = from + c.size;
    let k = firstEndingAfter(oldAt, old, from);
    const bases: string[] = [];
    let bytes = 0;
    for (; k < old.length && oldAt[k]! < to && bases.length < MAX_BASES && bytes + old[k]!.size <= MAX_BASE_BYTES; k++) {
      bases.push(old[k]!.id);
      bytes += old[k]!.size;
    }
    if (bases.length) out.set(c.id, bases);
  });
  return out;
}

/** Index of the first chunk of `list` (starting at `at[k]`) that ends after `pos` (binary search). */
function firstEndingAfter(at: number[], list: ChunkList, pos: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid]! + list[mid]!.size <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
