/**
 * DDM, Drift Detection Method (Gama et al., SBIA 2004), as river.drift.binary.DDM. Input is a
 * stream of 0/1 errors. With p_i the running error rate and s_i = sqrt(p_i(1-p_i)/i):
 *   once i > warmStart: if p_i + s_i <= p_min + s_min, (p_min, s_min) ← (p_i, s_i);
 *   warning when p_i + s_i > p_min + warningThreshold·s_min,
 *   drift   when p_i + s_i > p_min + driftThreshold·s_min (then warning is cleared).
 * Defaults are River's: warmStart 30, warningThreshold 2, driftThreshold 3. After a drift the
 * next update resets the state first.
 */
import { encodeNumber, stateNumber, type StateNumber } from './state.ts';

export interface DdmOptions {
  warmStart?: number;
  warningThreshold?: number;
  driftThreshold?: number;
}

export class Ddm {
  readonly warmStart: number;
  readonly warningThreshold: number;
  readonly driftThreshold: number;
  n = 0;
  p = 0;
  pMin = Number.NaN;
  sMin = Number.NaN;
  psMin = Number.POSITIVE_INFINITY;
  warningDetected = false;
  driftDetected = false;

  constructor(o: DdmOptions = {}) {
    this.warmStart = o.warmStart ?? 30;
    this.warningThreshold = o.warningThreshold ?? 2;
    this.driftThreshold = o.driftThreshold ?? 3;
  }

  /** Everything needed to resume: options and running error rate (JSON-safe). */
  toState(): DdmState {
    return {
      options: { warmStart: this.warmStart, warningThreshold: this.warningThreshold, driftThreshold: this.driftThreshold },
      n: this.n, p: this.p, pMin: encodeNumber(this.pMin), sMin: encodeNumber(this.sMin), psMin: encodeNumber(this.psMin),
      warningDetected: this.warningDetected, driftDetected: this.driftDetected,
    };
  }

  static fromState(s: DdmState): Ddm {
    const d = new Ddm(s.options);
    const o = s as unknown as Record<string, unknown>;
    for (const k of ['n', 'p', 'pMin', 'sMin', 'psMin'] as const) d[k] = stateNumber(o, k);
    d.warningDetected = s.warningDetected === true;
    d.driftDetected = s.driftDetected === true;
    return d;
  }

  reset(): void {
    this.n = 0;
    this.p = 0;
    this.pMin = Number.NaN;
    this.sMin = Number.NaN;
    this.psMin = Number.POSITIVE_INFINITY;
    this.warningDetected = false;
    this.driftDetected = false;
  }

  /** Feed one outcome (1 = error, 0 = correct; booleans accepted). Returns true on drift. */
  update(x: number | boolean): boolean {
    if (this.driftDetected) this.reset();
    const v = typeof x === 'boolean' ? (x ? 1 : 0) : x;
    this.n++;
    this.p += (v - this.p) / this.n;
    const s = Math.sqrt((this.p * (1 - this.p)) / this.n);
    if (this.n > this.warmStart) {
      if (this.p + s <= this.psMin) {
        this.pMin = this.p;
        this.sMin = s;
        this.psMin = this.p + s;
      }
      this.warningDetected = this.p + s > this.pMin + this.warningThreshold * this.sMin;
      if (this.p + s > this.pMin + this.driftThreshold * this.sMin) {
        this.driftDetected = true;
        this.warningDetected = false;
      }
    }
    return this.driftDetected;
  }
}

export interface DdmState {
  options: Required<DdmOptions>;
  n: number;
  p: number;
  pMin: StateNumber;
  sMin: StateNumber;
  psMin: StateNumber;
  warningDetected: boolean;
  driftDetected: boolean;
}
