/**
 * KLL quantile sketch (Karnin, Lang & Liberty, "Optimal Quantile Approximation in Streams", 2016),
 * the variant Apache DataSketches ships: levels of compactors, level h holds items of weight 2^h,
 * capacity of level h = max(2, ⌈k·(2/3)^(H-1-h)⌉). A full level is sorted and every other item
 * (random offset, seeded PRNG) moves up with double weight.
 *
 * Guarantees: memory O(k) whatever the stream length (≈ 3k numbers); normalised rank error about
 * 1.65% at 99% confidence for k = 200 (DataSketches' table), shrinking like 1/k. Merge is exact when
 * nothing has been compacted yet and keeps the same error bound otherwise. Serialises to plain JSON.
 */
import { mulberry32, type Random } from './prng.ts';

export const DEFAULT_KLL_K = 200;

export interface KllJSON {
  type: 'kll';
  k: number;
  n: number;
  min: number | null;
  max: number | null;
  levels: number[][];
  rngState: number;
}

export class KllSketch {
  readonly k: number;
  private levels: number[][] = [[]];
  private count = 0;
  private minV = Number.POSITIVE_INFINITY;
  private maxV = Number.NEGATIVE_INFINITY;
  private rng: Random;
  private sortedView: { values: Float64Array; cumWeights: Float64Array } | undefined;

  constructor(k = DEFAULT_KLL_K, seed = 0x9e3779b9) {
    if (!(k >= 8)) throw new RangeError('KLL k must be >= 8');
    this.k = k;
    this.rng = mulberry32(seed);
  }

  get n(): number {
    return this.count;
  }
  get min(): number {
    return this.minV;
  }
  get max(): number {
    return this.maxV;
  }
  /** Items retained; bounded by ~3k. */
  get retained(): number {
    return this.levels.reduce((s, l) => s + l.length, 0);
  }

  private capacity(h: number): number {
    const depth = this.levels.length - 1 - h;
    return Math.max(2, Math.ceil(this.k * Math.pow(2 / 3, depth)));
  }

  /** Add one value; NaN is ignored (count missing values in the moments, not here). */
  update(x: number): void {
    if (Number.isNaN(x)) return;
    this.count++;
    if (x < this.minV) this.minV = x;
    if (x > this.maxV) this.maxV = x;
    const l0 = this.levels[0] as number[];
    l0.push(x);
    this.sortedView = undefined;
    if (l0.length >= this.capacity(0)) this.compress();
  }

  private compress(): void {
    for (let h = 0; h < this.levels.length; h++) {
      const level = this.levels[h] as number[];
      if (level.length < this.capacity(h)) continue;
      if (h + 1 === this.levels.length) this.levels.push([]);
      level.sort((a, b) => a - b);
      // Odd length: the largest item stays so that total weight is conserved exactly.
      const keep = level.length % 2 === 1 ? level.pop() : undefined;
      const offset = this.rng.next() < 0.5 ? 0 : 1;
      const up = this.levels[h + 1] as number[];
      for (let i = offset; i < level.length; i += 2) up.push(level[i] as number);
      level.length = 0;
      if (keep !== undefined) level.push(keep);
    }
  }

  /** Merge `other` into this sketch (other is unchanged). */
  merge(other: KllSketch): this {
    if (other.count === 0) return this;
    while (this.levels.length < other.levels.length) this.levels.push([]);
    other.levels.forEach((l, h) => {
      (this.levels[h] as number[]).push(...l);
    });
    this.count += other.count;
    this.minV = Math.min(this.minV, other.minV);
    this.maxV = Math.max(this.maxV, other.maxV);
    this.sortedView = undefined;
    // Compress until every level fits (adding a level changes every capacity).
    for (let guard = 0; guard < 64; guard++) {
      const over = this.levels.some((l, h) => l.length >= this.capacity(h));
      if (!over) break;
      this.compress();
    }
    return this;
  }

  private view(): { values: Float64Array; cumWeights: Float64Array } {
    if (this.sortedView) return this.sortedView;
    const pairs: Array<[number, number]> = [];
    this.levels.forEach((l, h) => {
      const w = 2 ** h;
      for (const v of l) pairs.push([v, w]);
    });
    pairs.sort((a, b) => a[0] - b[0]);
    const values = new Float64Array(pairs.length);
    const cumWeights = new Float64Array(pairs.length);
    let acc = 0;
    pairs.forEach(([v, w], i) => {
      acc += w;
      values[i] = v;
      cumWeights[i] = acc;
    });
    this.sortedView = { values, cumWeights };
    return this.sortedView;
  }

  /** Estimated fraction of the stream <= x. */
  rank(x: number): number {
    if (this.count === 0) return Number.NaN;
    const { values, cumWeights } = this.view();
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((values[mid] as number) <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : (cumWeights[lo - 1] as number) / (cumWeights[cumWeights.length - 1] as number);
  }

  /** Estimated q-quantile, q in [0, 1]: the smallest retained value whose rank reaches q. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    if (q <= 0) return this.minV;
    if (q >= 1) return this.maxV;
    const { values, cumWeights } = this.view();
    const target = q * (cumWeights[cumWeights.length - 1] as number);
    let lo = 0;
    let hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumWeights[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return values[lo] as number;
  }

  toJSON(): KllJSON {
    return {
      type: 'kll', k: this.k, n: this.count,
      min: this.count ? this.minV : null, max: this.count ? this.maxV : null,
      levels: this.levels.map((l) => l.slice()), rngState: this.rng.state(),
    };
  }

  static fromJSON(j: KllJSON): KllSketch {
    if (j.type !== 'kll') throw new TypeError('not a KLL sketch');
    const s = new KllSketch(j.k, j.rngState);
    s.levels = j.levels.length ? j.levels.map((l) => l.slice()) : [[]];
    s.count = j.n;
    s.minV = j.min ?? Number.POSITIVE_INFINITY;
    s.maxV = j.max ?? Number.NEGATIVE_INFINITY;
    return s;
  }
}
