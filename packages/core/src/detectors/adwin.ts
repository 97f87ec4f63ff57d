/**
 * ADWIN, adaptive windowing (Bifet & Gavaldà, SDM 2007), ported from River's
 * `river/drift/adwin_c.pyx` (AdaptiveWindowing) with River's defaults: δ = 0.002, clock 32,
 * maxBuckets 5, minWindowLength 5, gracePeriod 10.
 *
 * The window is an exponential histogram: row r holds up to maxBuckets+1 buckets of 2^r items
 * (total and variance each); two full buckets of a row merge into one of the next. Every `clock`
 * updates, once the window is longer than gracePeriod, every cut (W0 old | W1 recent) at a bucket
 * boundary is tested with
 *   ε = sqrt(2·m·σ²_W·δ') + (2/3)·δ'·m,   δ' = ln(2·ln|W| / δ),
 *   m = 1/(n0 - minLen + 1) + 1/(n1 - minLen + 1);
 * |μ0 - μ1| > ε drops the oldest bucket and repeats. Memory O(maxBuckets · log |W|).
 */
import { stateNumber } from './state.ts';

export interface AdwinOptions {
  delta?: number;
  clock?: number;
  maxBuckets?: number;
  minWindowLength?: number;
  gracePeriod?: number;
}

class Row {
  idx = 0;
  readonly total: Float64Array;
  readonly variance: Float64Array;
  constructor(maxBuckets: number) {
    this.total = new Float64Array(maxBuckets + 1);
    this.variance = new Float64Array(maxBuckets + 1);
  }
  insert(total: number, variance: number): void {
    this.total[this.idx] = total;
    this.variance[this.idx] = variance;
    this.idx++;
  }
  /** Drop the first `k` (oldest) buckets of this row. */
  shift(k: number): void {
    this.total.copyWithin(0, k);
    this.variance.copyWithin(0, k);
    this.total.fill(0, this.total.length - k);
    this.variance.fill(0, this.variance.length - k);
    this.idx -= k;
  }
}

export class Adwin {
  readonly delta: number;
  readonly clock: number;
  readonly maxBuckets: number;
  readonly minWindowLength: number;
  readonly gracePeriod: number;
  private rows: Row[];
  /** Sum of the values in the window. */
  total = 0;
  /** Sum of squared deviations in the window (not divided by width). */
  variance = 0;
  width = 0;
  private tick = 0;
  nDetections = 0;
  driftDetected = false;

  constructor(o: AdwinOptions = {}) {
    this.delta = o.delta ?? 0.002;
    this.clock = o.clock ?? 32;
    this.maxBuckets = o.maxBuckets ?? 5;
    this.minWindowLength = o.minWindowLength ?? 5;
    this.gracePeriod = o.gracePeriod ?? 10;
    this.rows = [new Row(this.maxBuckets)];
  }

  /** Everything needed to resume: options, the bucket rows and the running sums (JSON-safe). */
  toState(): AdwinState {
    return {
      options: { delta: this.delta, clock: this.clock, maxBuckets: this.maxBuckets, minWindowLength: this.minWindowLength, gracePeriod: this.gracePeriod },
      rows: this.rows.map((r) => ({ total: Array.from(r.total.subarray(0, r.idx)), variance: Array.from(r.variance.subarray(0, r.idx)) })),
      total: this.total, variance: this.variance, width: this.width, tick: this.tick, nDetections: this.nDetections, driftDetected: this.driftDetected,
    };
  }

  static fromState(s: AdwinState): Adwin {
    const a = new Adwin(s.options);
    if (!Array.isArray(s.rows) || s.rows.length === 0) throw new TypeError('detector state: ADWIN needs at least one bucket row');
    a.rows = s.rows.map((r) => {
      if (r.total.length !== r.variance.length || r.total.length > a.maxBuckets + 1) throw new TypeError('detector state: ADWIN bucket row has a wrong length');
      const row = new Row(a.maxBuckets);
      for (let i = 0; i < r.total.length; i++) row.insert(r.total[i] as number, r.variance[i] as number);
      return row;
    });
    const o = s as unknown as Record<string, unknown>;
    for (const k of ['total', 'variance', 'width', 'tick', 'nDetections'] as const) a[k] = stateNumber(o, k);
    a.driftDetected = s.driftDetected === true;
    return a;
  }

  /** Mean of the current window. */
  get estimation(): number {
    return this.width === 0 ? 0 : this.total / this.width;
  }

  /** Feed one value; returns true when the window was cut (a change was detected). */
  update(x: number): boolean {
    this.insert(x);
    this.driftDetected = this.detect();
    return this.driftDetected;
  }

  private insert(x: number): void {
    (this.rows[0] as Row).insert(x, 0);
    this.width += 1;
    if (this.width > 1) {
      const prevMean = this.total / (this.width - 1);
      this.variance += ((this.width - 1) * (x - prevMean) * (x - prevMean)) / this.width;
    }
    this.total += x;
    this.compress();
  }

  private compress(): void {
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r] as Row;
      if (row.idx !== this.maxBuckets + 1) break;
      if (r + 1 === this.rows.length) this.rows.push(new Row(this.maxBuckets));
      const next = this.rows[r + 1] as Row;
      const n = 2 ** r;
      const mu1 = (row.total[0] as number) / n;
      const mu2 = (row.total[1] as number) / n;
      const total12 = (row.total[0] as number) + (row.total[1] as number);
      const v12 = (row.variance[0] as number) + (row.variance[1] as number) + (n * n * (mu1 - mu2) * (mu1 - mu2)) / (2 * n);
      next.insert(total12, v12);
      row.shift(2);
      if (next.idx <= this.maxBuckets) break;
    }
  }

  /** Remove the oldest bucket; returns its size. */
  private deleteOldest(): number {
    const r = this.rows.length - 1;
    const row = this.rows[r] as Row;
    const n = 2 ** r;
    const u = row.total[0] as number;
    const mu = u / n;
    const v = row.variance[0] as number;
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    row.shift(1);
    if (row.idx === 0) this.rows.pop();
    return n;
  }

  private cutExceeds(n0: number, n1: number, deltaMean: number): boolean {
    const deltaPrime = Math.log((2 * Math.log(this.width)) / this.delta);
    const m = 1 / (n0 - this.minWindowLength + 1) + 1 / (n1 - this.minWindowLength + 1);
    const eps = Math.sqrt(2 * m * (this.variance / this.width) * deltaPrime) + (2 / 3) * deltaPrime * m;
    return Math.abs(deltaMean) > eps;
  }

  private detect(): boolean {
    let changed = false;
    this.tick++;
    if (this.tick % this.clock !== 0 || this.width <= this.gracePeriod) return false;
    let reduce = true;
    while (reduce) {
      reduce = false;
      let exit = false;
      let n0 = 0;
      let n1 = this.width;
      let u0 = 0;
      let u1 = this.total;
      // Walk cuts from the oldest row (largest buckets) to the newest, as River does.
      for (let r = this.rows.length - 1; r >= 0 && !exit; r--) {
        const row = this.rows[r] as Row;
        const size = 2 ** r;
        for (let k = 0; k < row.idx - 1; k++) {
          n0 += size;
          n1 -= size;
          u0 += row.total[k] as number;
          u1 -= row.total[k] as number;
          if (r === 0 && k === row.idx - 1) {
            exit = true;
            break;
          }
          if (n1 >= this.minWindowLength && n0 >= this.minWindowLength && this.cutExceeds(n0, n1, u0 / n0 - u1 / n1)) {
            reduce = true;
            changed = true;
            if (this.width > 0) {
              n0 -= this.deleteOldest();
              exit = true;
              break;
            }
          }
        }
      }
    }
    if (changed) this.nDetections++;
    return changed;
  }
}

export interface AdwinState {
  options: Required<AdwinOptions>;
  /** Per row (row r holds buckets of 2^r items), oldest bucket first. */
  rows: Array<{ total: number[]; variance: number[] }>;
  total: number;
  variance: number;
  width: number;
  tick: number;
  nDetections: number;
  driftDetected: boolean;
}
