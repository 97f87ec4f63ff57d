/**
 * In-memory ingest state of one server: unflushed per-minute summary deltas, the predictions still
 * waiting for their label (bounded, expiring after the label horizon), and streaming detectors per
 * model version. No I/O: the service flushes deltas, new pending predictions and detector states
 * to SQL in one transaction, and claims stored predictions for labels that miss memory.
 *
 * A pending prediction is FRESH (only here), IN_FLIGHT (taken by a running flush), STORED (in a
 * pending segment too: written by this process, loaded back after a restart, or read from another
 * replica's segment) or GONE (joined, expired or evicted). Labels for FRESH and IN_FLIGHT
 * predictions join here; a label for a STORED one must win its claim row first — `addFeedback`
 * answers `CLAIM` and the service calls `joinClaimed` with the outcome. A label for a request not
 * held here answers `MISS`: the service reads newer segments (other replicas') and asks again.
 *
 * Memory: deltas grow with (versions × minutes since the last flush × features); pending joins are
 * capped at `maxPending` (oldest evicted and counted: their labels no longer join) — the one
 * per-row structure, bounded by config.
 */
import {
  Adwin, Ddm, PageHinkley, type AdwinState, type DdmState, type PageHinkleyState, addAlarm, addLabel, addPrediction, emptyWindowSummary, isPositive,
  type PredictionInput, type Random, type SampleRow, type WindowSummary,
} from '@steward/core';
import type { FeedbackEvent, PredictionEvent, RejectCode } from './events.parse.ts';
import type { PendingKey, PendingRow } from './monitoring.store.sql.ts';

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

const FRESH = 0;
const IN_FLIGHT = 1;
const STORED = 2;
const GONE = 3;

interface Pending extends PendingRow {
  state: typeof FRESH | typeof IN_FLIGHT | typeof STORED | typeof GONE;
}

/** `addFeedback`'s answer when the prediction has to be claimed from the table. */
export const CLAIM = 'claim' as const;
/** `addFeedback`'s answer when the prediction is not held here (yet). */
export const MISS = 'miss' as const;

export interface DetectorStateRow {
  model: string;
  version: string;
  /** JSON of `{ ddm, adwin, pageHinkley }` (each detector's `toState()`). */
  state: string;
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
  /**
   * Pending predictions by model, then request id: no key string built per event (the request id
   * from JSON.parse is used as it is, its hash computed once), and each model's map keeps its
   * insertion order (≈ time order) for eviction and expiry.
   */
  #pending = new Map<string, Map<string, Pending>>();
  #pendingSize = 0;
  #lastPending: { model: string; map: Map<string, Pending> } | undefined;
  /** Predictions added since the last flush took them (entries may have turned GONE since). */
  #fresh: Pending[] = [];
  /** Predictions joined here while their segment was being written: the next flush claims them. */
  #joined: PendingKey[] = [];
  #detectors = new Map<string, Detectors & { model: string; version: string }>();
  #dirtyDetectors = new Set<string>();
  evicted = 0;
  expired = 0;

  constructor(readonly o: AggregatorOptions) {}

  get pendingCount(): number {
    return this.#pendingSize;
  }

  #pendingOf(model: string): Map<string, Pending> {
    const last = this.#lastPending;
    if (last && last.model === model) return last.map;
    let map = this.#pending.get(model);
    if (!map) {
      map = new Map();
      this.#pending.set(model, map);
    }
    this.#lastPending = { model, map };
    return map;
  }

  #deletePending(map: Map<string, Pending>, p: Pending): void {
    if (map.delete(p.requestId)) this.#pendingSize--;
  }

  /** Drops the oldest pending prediction: of this model when it has any, else of the largest model. */
  #evictOne(map: Map<string, Pending>): void {
    let from = map;
    if (from.size === 0) for (const m of this.#pending.values()) if (m.size > from.size) from = m;
    const oldest = from.values().next().value as Pending | undefined;
    if (!oldest) return;
    this.#deletePending(from, oldest);
    // Its label can no longer join (a stored one stays in its segment, but is looked up only here).
    // An in-flight one is still written by the running flush, so it stays claimable after a restart.
    if (oldest.state === FRESH) oldest.state = GONE;
    this.evicted++;
  }

  /** Predictions not yet handed to a flush: what a crash would lose, and what triggers an early flush. */
  get freshCount(): number {
    return this.#fresh.length;
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
      d = { model, version, ddm: new Ddm(), adwin: new Adwin(), pageHinkley: new PageHinkley() };
      this.#detectors.set(key, d);
    }
    // Marked dirty on lookup, which happens once per run of events of one version, not per event.
    this.#dirtyDetectors.add(key);
    this.#lastDet = { model, version, d };
    return d;
  }

  addPrediction(ev: PredictionEvent): RejectCode | undefined {
    const pmap = this.#pendingOf(ev.model);
    if (pmap.has(ev.requestId)) return 'duplicate_request';
    const start = ev.t - (ev.t % MINUTE_MS);
    const s = this.#delta(ev.model, ev.version, start);
    // PredictionEvent carries every PredictionInput field under the same names: no copy per event,
    // and one shared sample builder (called with the event as `this`) instead of a closure per event.
    const input = ev as PredictionInput;
    input.sample = sampleOf;
    if (!addPrediction(s, input, this.o.threshold, this.o.random)) return 'feature_type_changed';
    if (ev.score !== undefined && this.#detectorsOf(ev.model, ev.version).pageHinkley.update(ev.score)) addAlarm(s, 'pageHinkley');
    const predicted = ev.prediction ?? (ev.score !== undefined ? (ev.score >= this.o.threshold ? 1 : 0) : null);
    if (this.#pendingSize >= this.o.maxPending) this.#evictOne(pmap);
    // One literal with every field (score and groups undefined when absent): one hidden class for all.
    const pending: Pending = { state: FRESH, model: ev.model, requestId: ev.requestId, version: ev.version, t: ev.t, predictedPositive: isPositive(predicted), score: ev.score, groups: ev.groups };
    pmap.set(ev.requestId, pending);
    this.#pendingSize++;
    this.#fresh.push(pending);
    return undefined;
  }

  /**
   * Joins a label to its prediction when the prediction is here and not yet stored; the cells land
   * in the prediction's window. Answers CLAIM when the prediction must be claimed from the table.
   */
  addFeedback(ev: FeedbackEvent): RejectCode | typeof CLAIM | typeof MISS | undefined {
    const pmap = this.#pendingOf(ev.model);
    const p = pmap.get(ev.requestId);
    if (!p) return MISS;
    if (p.state === STORED) return CLAIM;
    if (ev.t - p.t > this.o.labelHorizonMs) return 'unknown_request';
    this.#deletePending(pmap, p);
    // An in-flight row is being written by the running flush: the next flush deletes it.
    if (p.state === IN_FLIGHT) this.#joined.push({ model: p.model, requestId: p.requestId, t: p.t });
    p.state = GONE;
    this.#join(p, ev.label);
    return undefined;
  }

  /** The stored prediction a CLAIM answer was about (to build the claim key), if still held. */
  stored(ev: FeedbackEvent): PendingRow | undefined {
    const p = this.#pendingOf(ev.model).get(ev.requestId);
    return p?.state === STORED ? p : undefined;
  }

  /**
   * Joins a label to the stored prediction `row` (taken before the claim went out) once its claim
   * is settled: `won` false means another label — here, on another replica, or before a restart —
   * claimed it first. Only the winner drops the prediction from the table here.
   */
  joinClaimed(ev: FeedbackEvent, row: PendingRow | undefined, won: boolean): RejectCode | undefined {
    if (!row || !won) return 'unknown_request';
    const pmap = this.#pendingOf(row.model);
    const p = pmap.get(row.requestId);
    if (p === row) {
      this.#deletePending(pmap, p);
      p.state = GONE;
    }
    if (ev.t - row.t > this.o.labelHorizonMs) return 'unknown_request';
    this.#join(row, ev.label);
    return undefined;
  }

  /**
   * Holds stored predictions read from segments (at start, or another replica's), oldest first.
   * Request ids already held are skipped; past the cap the oldest are evicted as usual.
   */
  loadStored(rows: readonly PendingRow[]): number {
    let n = 0;
    for (const r of rows) {
      const pmap = this.#pendingOf(r.model);
      if (pmap.has(r.requestId)) continue;
      if (this.#pendingSize >= this.o.maxPending) this.#evictOne(pmap);
      pmap.set(r.requestId, { state: STORED, model: r.model, requestId: r.requestId, version: r.version, t: r.t, predictedPositive: r.predictedPositive, score: r.score, groups: r.groups });
      this.#pendingSize++;
      n++;
    }
    return n;
  }

  #join(p: PendingRow, label: 0 | 1): void {
    const s = this.#delta(p.model, p.version, p.t - (p.t % MINUTE_MS));
    addLabel(s, { predictedPositive: p.predictedPositive, ...(p.score !== undefined ? { score: p.score } : {}), ...(p.groups ? { groups: p.groups } : {}) }, label === 1);
    const wrong = p.predictedPositive !== (label === 1) ? 1 : 0;
    const det = this.#detectorsOf(p.model, p.version);
    if (det.ddm.update(wrong)) addAlarm(s, 'ddm');
    if (det.adwin.update(wrong)) addAlarm(s, 'adwin');
  }

  /**
   * Drops joins older than the label horizon (Map order is insertion order ≈ time order). Only
   * unstored ones count as expired here; stored rows are counted when the table is swept.
   */
  expire(now: number): void {
    for (const map of this.#pending.values()) {
      for (const p of map.values()) {
        if (now - p.t <= this.o.labelHorizonMs) break;
        this.#deletePending(map, p);
        if (p.state === FRESH) {
          p.state = GONE;
          this.expired++;
        }
      }
    }
  }

  /** Hands the new pending predictions to a flush (they turn IN_FLIGHT), with the joined stored keys. */
  takePending(): { rows: PendingRow[]; joined: PendingKey[] } {
    const rows: Pending[] = [];
    for (const p of this.#fresh) {
      if (p.state !== FRESH) continue;
      p.state = IN_FLIGHT;
      rows.push(p);
    }
    this.#fresh = [];
    const joined = this.#joined;
    this.#joined = [];
    return { rows, joined };
  }

  /** The flush committed: in-flight rows are stored. */
  pendingStored(rows: PendingRow[]): void {
    for (const p of rows as Pending[]) if (p.state === IN_FLIGHT) p.state = STORED;
  }

  /** The flush failed: in-flight rows are new again (joined meanwhile: GONE, skipped), claims retried. */
  pendingNotStored(rows: PendingRow[], joined: PendingKey[]): void {
    const back: Pending[] = [];
    for (const p of rows as Pending[]) {
      if (p.state !== IN_FLIGHT) continue;
      p.state = FRESH;
      back.push(p);
    }
    this.#fresh = back.concat(this.#fresh);
    this.#joined = joined.concat(this.#joined);
  }

  /** States of the detectors fed since the last call. */
  takeDetectorStates(): DetectorStateRow[] {
    const out: DetectorStateRow[] = [];
    for (const key of this.#dirtyDetectors) {
      const d = this.#detectors.get(key);
      if (!d) continue;
      out.push({ model: d.model, version: d.version, state: JSON.stringify({ ddm: d.ddm.toState(), adwin: d.adwin.toState(), pageHinkley: d.pageHinkley.toState() }) });
    }
    this.#dirtyDetectors.clear();
    // The cached lookup skips the dirty mark: drop it so the next event marks its detectors again.
    this.#lastDet = undefined;
    return out;
  }

  /** Marks detectors dirty again after a failed flush. */
  detectorStatesNotStored(rows: DetectorStateRow[]): void {
    for (const r of rows) this.#dirtyDetectors.add(`${r.model}\0${r.version}`);
  }

  /**
   * Resumes detectors from stored states (at start, before any event). A state that does not parse
   * is skipped and reported through `onBad`: the detector starts over rather than the server failing.
   */
  loadDetectorStates(rows: DetectorStateRow[], onBad: (row: DetectorStateRow, err: unknown) => void): void {
    for (const r of rows) {
      const key = `${r.model}\0${r.version}`;
      if (this.#detectors.has(key)) continue;
      try {
        const s = JSON.parse(r.state) as { ddm: DdmState; adwin: AdwinState; pageHinkley: PageHinkleyState };
        this.#detectors.set(key, { model: r.model, version: r.version, ddm: Ddm.fromState(s.ddm), adwin: Adwin.fromState(s.adwin), pageHinkley: PageHinkley.fromState(s.pageHinkley) });
      } catch (e) {
        onBad(r, e);
      }
    }
    this.#lastDet = undefined;
  }

  /** A detector of one model version, for tests and diagnostics. */
  detectors(model: string, version: string): Readonly<Detectors> | undefined {
    return this.#detectors.get(`${model}\0${version}`);
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
