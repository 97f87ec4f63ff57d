/**
 * In-memory ingest state of one server: unflushed per-minute summary deltas, the predictions still
 * waiting for their label (bounded, expiring after the label horizon), and streaming detectors per
 * model version. No I/O: the service flushes deltas to SQL, where they merge into stored windows.
 *
 * Memory: deltas grow with (versions × minutes since the last flush × features); pending joins are
 * capped at `maxPending` (oldest evicted and counted) — the one per-row structure, bounded by config.
 */
import {
  Adwin, Ddm, PageHinkley, addAlarm, addLabel, addPrediction, emptyWindowSummary, isPositive,
  type PredictionInput, type Random, type SampleRow, type WindowSummary,
} from '@steward/core';
import type { FeedbackEvent, PredictionEvent, RejectCode } from './events.parse.ts';

export const MINUTE_MS = 60_000;

export interface AggregatorOptions {
  labelHorizonMs: number;
  maxPending: number;
  reservoir: number;
  threshold: number;
  random: Random;
}

export interface Delta {
  model: string;
  version: string;
  /** Window start, epoch ms, a multiple of one minute. */
  start: number;
  summary: WindowSummary;
}

interface Pending {
  model: string;
  version: string;
  start: number;
  t: number;
  score?: number;
  predictedPositive: boolean;
  groups?: Record<string, string>;
}

interface Detectors {
  ddm: Ddm;
  adwin: Adwin;
  pageHinkley: PageHinkley;
}

/** The reservoir row of a prediction; `this` is the event (see addPrediction's `sample`). */
function sampleOf(this: PredictionEvent): SampleRow {
  const row: SampleRow = { requestId: this.requestId, time: new Date(this.t).toISOString(), features: this.features };
  if (this.score !== undefined) row.score = this.score;
  if (this.probabilities) row.probabilities = this.probabilities;
  if (this.prediction !== undefined) row.prediction = this.prediction;
  return row;
}

export class Aggregator {
  #deltas = new Map<string, Delta>();
  #pending = new Map<string, Pending>();
  #detectors = new Map<string, Detectors>();
  evicted = 0;
  expired = 0;

  constructor(readonly o: AggregatorOptions) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  // Consecutive events almost always share model, version and minute: skip the key build and lookup.
  #last: Delta | undefined;
  #lastDet: { model: string; version: string; d: Detectors } | undefined;

  #delta(model: string, version: string, start: number): WindowSummary {
    const last = this.#last;
    if (last && last.start === start && last.model === model && last.version === version) return last.summary;
    const key = `${model}\0${version}\0${start}`;
    let d = this.#deltas.get(key);
    if (!d) {
      d = { model, version, start, summary: emptyWindowSummary(this.o.reservoir) };
      this.#deltas.set(key, d);
    }
    this.#last = d;
    return d.summary;
  }

  #detectorsOf(model: string, version: string): Detectors {
    const ld = this.#lastDet;
    if (ld && ld.model === model && ld.version === version) return ld.d;
    const key = `${model}\0${version}`;
    let d = this.#detectors.get(key);
    if (!d) {
      d = { ddm: new Ddm(), adwin: new Adwin(), pageHinkley: new PageHinkley() };
      this.#detectors.set(key, d);
    }
    this.#lastDet = { model, version, d };
    return d;
  }

  addPrediction(ev: PredictionEvent): RejectCode | undefined {
    const pkey = `${ev.model}\0${ev.requestId}`;
    if (this.#pending.has(pkey)) return 'duplicate_request';
    const start = ev.t - (ev.t % MINUTE_MS);
    const s = this.#delta(ev.model, ev.version, start);
    // PredictionEvent carries every PredictionInput field under the same names: no copy per event,
    // and one shared sample builder (called with the event as `this`) instead of a closure per event.
    const input = ev as PredictionInput;
    input.sample = sampleOf;
    if (!addPrediction(s, input, this.o.threshold, this.o.random)) return 'feature_type_changed';
    if (ev.score !== undefined && this.#detectorsOf(ev.model, ev.version).pageHinkley.update(ev.score)) addAlarm(s, 'pageHinkley');
    const predicted = ev.prediction ?? (ev.score !== undefined ? (ev.score >= this.o.threshold ? 1 : 0) : null);
    if (this.#pending.size >= this.o.maxPending) {
      const oldest = this.#pending.keys().next().value as string;
      this.#pending.delete(oldest);
      this.evicted++;
    }
    const pending: Pending = { model: ev.model, version: ev.version, start, t: ev.t, predictedPositive: isPositive(predicted) };
    if (ev.score !== undefined) pending.score = ev.score;
    if (ev.groups) pending.groups = ev.groups;
    this.#pending.set(pkey, pending);
    return undefined;
  }

  /** Joins a label to its prediction; the cells land in the prediction's window. */
  addFeedback(ev: FeedbackEvent): RejectCode | undefined {
    const pkey = `${ev.model}\0${ev.requestId}`;
    const p = this.#pending.get(pkey);
    if (!p || ev.t - p.t > this.o.labelHorizonMs) return 'unknown_request';
    this.#pending.delete(pkey);
    const s = this.#delta(p.model, p.version, p.start);
    addLabel(s, { predictedPositive: p.predictedPositive, ...(p.score !== undefined ? { score: p.score } : {}), ...(p.groups ? { groups: p.groups } : {}) }, ev.label === 1);
    const wrong = p.predictedPositive !== (ev.label === 1) ? 1 : 0;
    const det = this.#detectorsOf(p.model, p.version);
    if (det.ddm.update(wrong)) addAlarm(s, 'ddm');
    if (det.adwin.update(wrong)) addAlarm(s, 'adwin');
    return undefined;
  }

  /** Drops joins older than the label horizon (Map order is insertion order ≈ time order). */
  expire(now: number): void {
    for (const [k, p] of this.#pending) {
      if (now - p.t <= this.o.labelHorizonMs) break;
      this.#pending.delete(k);
      this.expired++;
    }
  }

  /** Hands over every unflushed delta and starts fresh. */
  takeDeltas(): Delta[] {
    const out = [...this.#deltas.values()];
    this.#deltas = new Map();
    this.#last = undefined;
    return out;
  }

  /** Put deltas back after a failed flush, merging with anything ingested meanwhile. */
  restore(deltas: Delta[], merge: (a: WindowSummary, b: WindowSummary) => WindowSummary): void {
    for (const d of deltas) {
      const key = `${d.model}\0${d.version}\0${d.start}`;
      const cur = this.#deltas.get(key);
      this.#deltas.set(key, cur ? { ...d, summary: merge(d.summary, cur.summary) } : d);
    }
    this.#last = undefined;
  }
}
