/**
 * Page-Hinkley change detector, as river.drift.PageHinkley (river 0.21+, mode "both"):
 *
 *   mean_t   = running mean of x_1..x_t (reset after a drift)
 *   dev_t    = x_t - mean_t
 *   up_t     = α·up_{t-1} + dev_t - δ        min_up   = min over t of up_t   (starts at +∞)
 *   down_t   = α·down_{t-1} + dev_t + δ      max_down = max over t of down_t (starts at -1, as River)
 *   drift when t >= minInstances and (up_t - min_up > λ or max_down - down_t > λ)
 *
 * Defaults are River's: minInstances 30, δ = 0.005, λ = 50, α = 1 - 0.0001. After a drift the
 * next update resets the state first, as River does.
 */
import { encodeNumber, stateNumber, type StateNumber } from './state.ts';

export interface PageHinkleyOptions {
  minInstances?: number;
  delta?: number;
  threshold?: number;
  alpha?: number;
  mode?: 'both' | 'up' | 'down';
}

export class PageHinkley {
  readonly minInstances: number;
  readonly delta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly mode: 'both' | 'up' | 'down';
  n = 0;
  mean = 0;
  sumIncrease = 0;
  sumDecrease = 0;
  minIncrease = Number.POSITIVE_INFINITY;
  maxDecrease = -1;
  driftDetected = false;

  constructor(o: PageHinkleyOptions = {}) {
    this.minInstances = o.minInstances ?? 30;
    this.delta = o.delta ?? 0.005;
    this.threshold = o.threshold ?? 50;
    this.alpha = o.alpha ?? 1 - 0.0001;
    this.mode = o.mode ?? 'both';
  }

  /** Everything needed to resume: options and running sums (JSON-safe). */
  toState(): PageHinkleyState {
    return {
      options: { minInstances: this.minInstances, delta: this.delta, threshold: this.threshold, alpha: this.alpha, mode: this.mode },
      n: this.n, mean: this.mean, sumIncrease: this.sumIncrease, sumDecrease: this.sumDecrease,
      minIncrease: encodeNumber(this.minIncrease), maxDecrease: encodeNumber(this.maxDecrease), driftDetected: this.driftDetected,
    };
  }

  static fromState(s: PageHinkleyState): PageHinkley {
    const ph = new PageHinkley(s.options);
    const o = s as unknown as Record<string, unknown>;
    for (const k of ['n', 'mean', 'sumIncrease', 'sumDecrease', 'minIncrease', 'maxDecrease'] as const) ph[k] = stateNumber(o, k);
    ph.driftDetected = s.driftDetected === true;
    return ph;
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Number.POSITIVE_INFINITY;
    this.maxDecrease = -1;
    this.driftDetected = false;
  }

  /** Feed one value; returns true when this value triggers a drift. */
  update(x: number): boolean {
    if (this.driftDetected) this.reset();
    this.n++;
    this.mean += (x - this.mean) / this.n;
    const dev = x - this.mean;
    this.sumIncrease = this.alpha * this.sumIncrease + dev - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + dev + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= this.minInstances) {
      const up = this.sumIncrease - this.minIncrease > this.threshold;
      const down = this.maxDecrease - this.sumDecrease > this.threshold;
      this.driftDetected = this.mode === 'up' ? up : this.mode === 'down' ? down : up || down;
    }
    return this.driftDetected;
  }
}

export interface PageHinkleyState {
  options: Required<PageHinkleyOptions>;
  n: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: StateNumber;
  maxDecrease: StateNumber;
  driftDetected: boolean;
}
