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
  Adwin, Ddm, PageHinkley, type AdwinState, type DdmState, type PageHinkleyState, absorbWindowSummary, addAlarm, addLabel, addPrediction,
  emptyFeatureSketch, emptyWindowSummary, isPositive, type FeatureSketch, type PredictionInput, type Random, type WindowSummary,
} from '@steward/core';
import { MINUTE_MS, sampleOf, type FeedbackEvent, type PredictionEvent, type RejectCode } from './events.parse.ts';
import { NULL, NUMERIC, deltaKey, type PartialDelta, type Seed, type Shape } from './ingest-slice.ts';
import type { PendingKey, PendingRow } from './monitoring.store.sql.ts';
import { FRESH, IN_FLIGHT, PendingTable, STORED, hashId, type HeldRow, type SegmentColumns } from './pending-table.ts';

export { MINUTE_MS };

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

/** What `addParsed` keeps for one slice: seeds per window, and which windows each shape was checked against. */
export interface SliceState {
  shapes: readonly Shape[];
  seeds: Record<string, Seed>;
  lastSeeded: WindowSummary | undefined;
  verified: Array<WindowSummary | undefined>;
}

/** Whether every typed feature of the shape agrees with the kind the window holds for it. */
function fits(s: WindowSummary, shape: Shape): boolean {
  for (let i = 0; i < shape.names.length; i++) {
    const k = shape.kinds.charCodeAt(i);
    if (k === NULL) continue;
    const f = s.features[shape.names[i] as string];
    if (f && (f.kind === 'numeric') !== (k === NUMERIC)) return false;
  }
  return true;
}

export class Aggregator {
  #deltas = new Map<string, Delta>();
  /** Pending predictions by model (see pending-table.ts): insertion order ≈ time order for eviction and expiry. */
  #pending = new Map<string, PendingTable>();
  #pendingSize = 0;
  #lastPending: PendingTable | undefined;
  /** Predictions held FRESH: not yet handed to a flush. */
  #freshCount = 0;
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

  #tableOf(model: string): PendingTable {
    const last = this.#lastPending;
    if (last && last.model === model) return last;
    let table = this.#pending.get(model);
    if (!table) {
      table = new PendingTable(model);
      this.#pending.set(model, table);
    }
    this.#lastPending = table;
    return table;
  }

  #remove(table: PendingTable, slot: number): void {
    if (table.state(slot) === FRESH) this.#freshCount--;
    table.remove(slot);
    this.#pendingSize--;
  }

  /** Drops the oldest pending prediction: of this model when it has any, else of the largest model. */
  #evictOne(table: PendingTable): void {
    let from = table;
    if (from.size === 0) for (const t of this.#pending.values()) if (t.size > from.size) from = t;
    const oldest = from.oldest;
    if (oldest < 0) return;
    // Its label can no longer join (a stored one stays in its segment, but is looked up only here).
    // An in-flight one is still written by the running flush, so it stays claimable after a restart.
    this.#remove(from, oldest);
    this.evicted++;
  }

  /** Predictions not yet handed to a flush: what a crash would lose, and what triggers an early flush. */
  get freshCount(): number {
    return this.#freshCount;
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
    const table = this.#tableOf(ev.model);
    const h = hashId(ev.requestId);
    if (table.find(ev.requestId, h) >= 0) return 'duplicate_request';
    const start = ev.t - (ev.t % MINUTE_MS);
    const s = this.#delta(ev.model, ev.version, start);
    // PredictionEvent carries every PredictionInput field under the same names: no copy per event,
    // and one shared sample builder (called with the event as `this`) instead of a closure per event.
    const input = ev as PredictionInput;
    input.sample = sampleOf;
    if (!addPrediction(s, input, this.o.threshold, this.o.random)) return 'feature_type_changed';
    if (ev.score !== undefined && this.#detectorsOf(ev.model, ev.version).pageHinkley.update(ev.score)) addAlarm(s, 'pageHinkley');
    const predicted = ev.prediction ?? (ev.score !== undefined ? (ev.score >= this.o.threshold ? 1 : 0) : null);
    if (this.#pendingSize >= this.o.maxPending) this.#evictOne(table);
    table.add(ev.requestId, h, ev.version, ev.t, ev.score, isPositive(predicted), ev.groups, FRESH);
    this.#pendingSize++;
    this.#freshCount++;
    return undefined;
  }

  /**
   * A prediction parsed on the ingest worker (ingest-slice.ts): everything `addPrediction` does
   * except the sketch updates, which the worker makes for the accepted rows afterwards and
   * `absorb` adds in. The type check uses the event's shape against the window; an accepted
   * row's new features get empty sketches here at once, so later rows (on either thread) are
   * checked against them, and `slice` records each window's kinds before the slice touched it.
   */
  addParsed(
    model: string, version: string, requestId: string, h: number, t: number, score: number | undefined, positive: boolean,
    groups: Record<string, string> | undefined, shape: number, slice: SliceState,
  ): RejectCode | undefined {
    const table = this.#tableOf(model);
    if (table.find(requestId, h) >= 0) return 'duplicate_request';
    const start = t - (t % MINUTE_MS);
    const s = this.#delta(model, version, start);
    if (slice.lastSeeded !== s) {
      const key = deltaKey(model, version, start);
      if (!(key in slice.seeds)) {
        const seed: Seed = {};
        for (const name in s.features) seed[name] = (s.features[name] as { kind: 'numeric' | 'categorical' }).kind;
        slice.seeds[key] = seed;
      }
      slice.lastSeeded = s;
    }
    if (slice.verified[shape] !== s) {
      const sh = slice.shapes[shape] as Shape;
      if (!fits(s, sh)) return 'feature_type_changed';
      for (let i = 0; i < sh.names.length; i++) {
        const k = sh.kinds.charCodeAt(i);
        const name = sh.names[i] as string;
        if (k !== NULL && !s.features[name]) s.features[name] = emptyFeatureSketch(k === NUMERIC ? 'numeric' : 'categorical');
      }
      // Kinds never change within a window: the next rows of this shape here need no check.
      slice.verified[shape] = s;
    }
    if (score !== undefined && this.#detectorsOf(model, version).pageHinkley.update(score)) addAlarm(s, 'pageHinkley');
    if (this.#pendingSize >= this.o.maxPending) this.#evictOne(table);
    table.add(requestId, h, version, t, score, positive, groups, FRESH);
    this.#pendingSize++;
    this.#freshCount++;
    return undefined;
  }

  /** Adds the worker's summaries of accepted rows (see addParsed) into their windows. */
  absorb(deltas: readonly PartialDelta[]): void {
    for (const d of deltas) absorbWindowSummary(this.#delta(d.model, d.version, d.start), d.summary, this.o.random);
  }

  /**
   * Joins a label to its prediction when the prediction is here and not yet stored; the cells land
   * in the prediction's window. Answers CLAIM when the prediction must be claimed from the table.
   */
  addFeedback(ev: FeedbackEvent): RejectCode | typeof CLAIM | typeof MISS | undefined {
    const table = this.#tableOf(ev.model);
    const slot = table.find(ev.requestId);
    if (slot < 0) return MISS;
    const state = table.state(slot);
    if (state === STORED) return CLAIM;
    if (ev.t - table.t(slot) > this.o.labelHorizonMs) return 'unknown_request';
    const p = table.row(slot);
    this.#remove(table, slot);
    // An in-flight row is being written by the running flush: the next flush claims it.
    if (state === IN_FLIGHT) this.#joined.push({ model: p.model, requestId: p.requestId, t: p.t });
    this.#join(p, ev.label);
    return undefined;
  }

  /** The stored prediction a CLAIM answer was about (to build the claim key), if still held. */
  stored(ev: FeedbackEvent): HeldRow | undefined {
    const table = this.#tableOf(ev.model);
    const slot = table.find(ev.requestId);
    return slot >= 0 && table.state(slot) === STORED ? table.row(slot) : undefined;
  }

  /**
   * Joins a label to the stored prediction `row` (taken before the claim went out) once its claim
   * is settled: `won` false means another label — here, on another replica, or before a restart —
   * claimed it first. Only the winner drops the prediction from the table here.
   */
  joinClaimed(ev: FeedbackEvent, row: HeldRow | undefined, won: boolean): RejectCode | undefined {
    if (!row || !won) return 'unknown_request';
    const table = this.#tableOf(row.model);
    const slot = table.find(row.requestId);
    // The same prediction still held (its slot was not evicted and reused meanwhile): drop it.
    if (slot >= 0 && table.seq(slot) === row.seq) this.#remove(table, slot);
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
      const table = this.#tableOf(r.model);
      const h = hashId(r.requestId);
      if (table.find(r.requestId, h) >= 0) continue;
      if (this.#pendingSize >= this.o.maxPending) this.#evictOne(table);
      table.add(r.requestId, h, r.version, r.t, r.score, r.predictedPositive, r.groups, STORED);
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
    for (const table of this.#pending.values()) {
      for (let slot = table.oldest; slot >= 0;) {
        if (now - table.t(slot) <= this.o.labelHorizonMs) break;
        const next = table.after(slot);
        if (table.state(slot) === FRESH) this.expired++;
        this.#remove(table, slot);
        slot = next;
      }
      // Memory follows what is held, not the largest burst: an emptied table goes, a sparse one shrinks.
      if (table.size === 0) {
        this.#pending.delete(table.model);
        if (this.#lastPending === table) this.#lastPending = undefined;
      } else table.shrink();
    }
  }

  /**
   * Hands the new pending predictions to a flush, column by column per model (they turn IN_FLIGHT),
   * with the joined stored keys. Flushes run one at a time: one set is in flight at most.
   */
  takePending(): { pending: Array<{ model: string; columns: SegmentColumns }>; count: number; joined: PendingKey[] } {
    const pending: Array<{ model: string; columns: SegmentColumns }> = [];
    let count = 0;
    for (const table of this.#pending.values()) {
      const columns = table.take(FRESH, IN_FLIGHT);
      if (!columns) continue;
      pending.push({ model: table.model, columns });
      count += columns.ids.length;
    }
    this.#freshCount = 0;
    const joined = this.#joined;
    this.#joined = [];
    return { pending, count, joined };
  }

  /** The flush committed: in-flight rows (those not joined or evicted meanwhile) are stored. */
  pendingStored(): void {
    for (const table of this.#pending.values()) table.moveAll(IN_FLIGHT, STORED);
  }

  /** The flush failed: in-flight rows still held are new again, claims retried. */
  pendingNotStored(joined: PendingKey[]): void {
    for (const table of this.#pending.values()) this.#freshCount += table.moveAll(IN_FLIGHT, FRESH);
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

  /**
   * Hands over every unflushed delta and starts fresh. Sketches that saw no row yet (made by
   * `addParsed` for a slice whose summaries are still on their way) are left out: they would be
   * an empty feature in a stored window.
   */
  takeDeltas(): Delta[] {
    const out = [...this.#deltas.values()];
    for (const d of out) {
      const fs = d.summary.features;
      for (const name in fs) {
        const f = fs[name] as FeatureSketch;
        if (f.kind === 'numeric' ? f.moments.count + f.moments.missing === 0 : f.counts.total === 0) delete fs[name];
      }
    }
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
