/**
 * The part of ingest that can run on another thread: parse and validate a slice of an NDJSON
 * batch into compact columns, and summarise its valid predictions by window (phase 1). The main
 * thread then runs everything that must see each request id in order — version checks, duplicate
 * detection, the label-join table, labels and their claims, the streaming detectors — and decides
 * every rejection. The summaries are speculative: they count every row the worker found valid,
 * starting from empty windows. They are used when the main thread accepted exactly those rows,
 * with the nulls they skipped added as missing where the main thread's window already had the
 * feature (a null counts as missing only once its window has a sketch of that feature); otherwise
 * phase 2 summarises the accepted rows again, from the window kinds the main thread had. Either way a duplicate or rejected row
 * never reaches a summary. See ingest-offload.ts for the worker and the service for the protocol.
 *
 * The phases are plain functions: the worker runs them, and the main thread runs the same ones
 * when the worker is gone (parsing the same text again gives the same events in the same order).
 * Parsed events die young on the worker too: nothing but the slice's text is kept between phases.
 */
import { addPrediction, emptyFeatureSketch, emptyWindowSummary, isPositive, type FeatureSketch, type PredictionInput, type Random, type SampleRow, type WindowSummary } from '@steward/core';
import { EventRejected, MINUTE_MS, forEachLine, sampleOf, type FeedbackEvent, type PredictionEvent, type RejectCode } from './events.parse.ts';
import { hashId } from './pending-table.ts';

/** Feature kinds in a shape: one char per feature, in the event's key order. */
export const NUMERIC = 110; // 'n'
export const STRING = 115; // 's'
export const NULL = 48; // '0'

/** Which features an event has and of what kind: what the main thread checks types with. */
export interface Shape {
  names: string[];
  /** One char per name: n (number), s (string), 0 (null). */
  kinds: string;
}

export interface SummaryOptions {
  threshold: number;
  reservoir: number;
  random: Random;
}

/** Phase 1's answer: one entry per prediction in line order, plus feedback and rejected lines. */
export interface ParsedSlice {
  n: number;
  line: Int32Array;
  /** The request ids one after the other; the i-th ends at idEnd[i]. */
  ids: string;
  idEnd: Int32Array;
  hash: Int32Array;
  t: Float64Array;
  /** NaN when the event has no score. */
  score: Float64Array;
  /** Index into `pairs` (model, version). */
  pair: Int32Array;
  positive: Uint8Array;
  /** Index into `groupSets`, or -1. */
  group: Int32Array;
  /** Index into `shapes`. */
  shape: Int32Array;
  pairs: Array<[model: string, version: string]>;
  groupSets: Array<Record<string, string>>;
  shapes: Shape[];
  feedback: Array<[line: number, ev: FeedbackEvent]>;
  rejected: Array<[line: number, code: RejectCode, message: string]>;
  /** 1 for the predictions the speculative summaries count. */
  included: Uint8Array;
  /** The speculative summaries, by window. */
  deltas: PartialDelta[];
  /** Per window key and feature: nulls of counted rows skipped because the window had no sketch of it yet. */
  nullsSkipped: Record<string, Record<string, number>>;
}

/** The buffers of a ParsedSlice, to transfer instead of copying. */
export function transferablesOf(p: ParsedSlice): ArrayBuffer[] {
  return [p.line, p.idEnd, p.hash, p.t, p.score, p.pair, p.positive, p.group, p.shape, p.included].map((a) => a.buffer as ArrayBuffer);
}

/** A window's feature kinds before the slice's first row reached it (phase 2 starts from them). */
export type Seed = Record<string, FeatureSketch['kind']>;

/** One partial window of a slice: added into the main thread's delta of the same key. */
export interface PartialDelta {
  model: string;
  version: string;
  start: number;
  summary: WindowSummary;
}

/**
 * Reservoir rows of a slice's summaries are the events themselves until `finishSamples`: most are
 * dropped again when summaries merge, so no row (with its ISO time string) is built for them.
 */
function eventAsSample(this: PredictionEvent): SampleRow {
  return this as unknown as SampleRow;
}

/** Turns the events left in the summaries' reservoirs into reservoir rows (before they leave the thread). */
export function finishSamples<T extends PartialDelta>(deltas: T[]): T[] {
  for (const d of deltas) {
    const items = d.summary.reservoir.items;
    for (let i = 0; i < items.length; i++) {
      const x = items[i] as unknown as PredictionEvent;
      if (x.type === 'prediction') items[i] = sampleOf.call(x);
    }
  }
  return deltas;
}

export const deltaKey = (model: string, version: string, start: number): string => `${model}\0${version}\0${start}`;

/**
 * Cuts a slice's text into pieces of about `size` characters at line ends (the newline between
 * two pieces dropped). A worker receives one large string far more slowly than many small ones:
 * ~2 ms for 400 KB (a large-object allocation each), against ~0.1 ms in 16 KB pieces.
 */
export function chunkLines(text: string, size = 16_384): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start + size);
    if (end < 0) end = text.length;
    out.push(text.slice(start, end));
    start = end + 1;
  }
  return out;
}

/** Calls forEachLine on each piece of `chunkLines`, numbering lines across them. */
export function forEachChunkLine(chunks: readonly string[], now: number, each: Parameters<typeof forEachLine>[2], firstLine: number): void {
  let line = firstLine;
  for (const c of chunks) line = forEachLine(c, now, each, line) + 1;
}

/** Phase 1 over the pieces of a slice (`chunkLines`; the first line is number `firstLine`). */
export function parseSlice(chunks: readonly string[], firstLine: number, now: number, o: SummaryOptions): ParsedSlice {
  const { threshold } = o;
  let cap = chunks.length;
  for (const text of chunks) for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) cap++;
  const line = new Int32Array(cap);
  const idEnd = new Int32Array(cap);
  const hash = new Int32Array(cap);
  const t = new Float64Array(cap);
  const score = new Float64Array(cap);
  const pair = new Int32Array(cap);
  const positive = new Uint8Array(cap);
  const group = new Int32Array(cap);
  const shape = new Int32Array(cap);
  const ids: string[] = [];
  let idLen = 0;
  const pairs: Array<[string, string]> = [];
  const pairIndex = new Map<string, number>();
  const groupSets: Array<Record<string, string>> = [];
  const groupIndex = new Map<string, number>();
  const shapes: Shape[] = [];
  const shapeIndex = new Map<string, number>();
  const feedback: Array<[number, FeedbackEvent]> = [];
  const rejected: Array<[number, RejectCode, string]> = [];
  const included = new Uint8Array(cap);
  const windows = new Windows(o.reservoir);
  const nullsSkipped: Record<string, Record<string, number>> = {};
  let n = 0;
  let lastModel = '';
  let lastVersion = '';
  let lastPair = -1;
  let lastShape: Shape | undefined;
  let lastShapeIndex = -1;
  forEachChunkLine(chunks, now, (ln, ev) => {
    if (ev instanceof EventRejected) {
      rejected.push([ln, ev.code, ev.message]);
      return;
    }
    if (ev.type === 'feedback') {
      feedback.push([ln, ev]);
      return;
    }
    const i = n++;
    line[i] = ln;
    ids.push(ev.requestId);
    idLen += ev.requestId.length;
    idEnd[i] = idLen;
    hash[i] = hashId(ev.requestId);
    t[i] = ev.t;
    score[i] = ev.score ?? Number.NaN;
    if (ev.model !== lastModel || ev.version !== lastVersion || lastPair < 0) {
      const key = `${ev.model}\0${ev.version}`;
      let p = pairIndex.get(key);
      if (p === undefined) pairIndex.set(key, (p = pairs.push([ev.model, ev.version]) - 1));
      lastModel = ev.model;
      lastVersion = ev.version;
      lastPair = p;
    }
    pair[i] = lastPair;
    const predicted = ev.prediction ?? (ev.score !== undefined ? (ev.score >= threshold ? 1 : 0) : null);
    positive[i] = isPositive(predicted) ? 1 : 0;
    group[i] = ev.groups ? intern(groupIndex, groupSets, ev.groups) : -1;
    // Consecutive events nearly always have the same features: compare with the last shape first.
    if (!lastShape || !sameShape(lastShape, ev.features)) {
      const s = shapeOf(ev.features);
      const key = `${s.names.join('\0')}\0${s.kinds}`;
      let k = shapeIndex.get(key);
      if (k === undefined) shapeIndex.set(key, (k = shapes.push(s) - 1));
      lastShape = shapes[k] as Shape;
      lastShapeIndex = k;
    }
    shape[i] = lastShapeIndex;
    const w = windows.of(ev);
    const input = ev as PredictionInput;
    input.sample = eventAsSample;
    const ok = addPrediction(w.summary, input, threshold, o.random);
    included[i] = ok ? 1 : 0;
    // A null adds nothing to a window with no sketch of its feature yet: count those, so the main
    // thread can add them as missing where its window already had the feature.
    if (ok && lastShape.kinds.includes('0')) {
      const fs = w.summary.features;
      for (const name in ev.features) {
        if (ev.features[name] === null && !fs[name]) {
          const byName = (nullsSkipped[w.key] ??= {});
          byName[name] = (byName[name] ?? 0) + 1;
        }
      }
    }
  }, firstLine);
  return {
    n, line, ids: ids.join(''), idEnd, hash, t, score, pair, positive, group, shape, pairs, groupSets, shapes, feedback, rejected,
    included, deltas: windows.deltas(), nullsSkipped,
  };
}

/** Partial windows of a slice by key, starting from the seeds given. */
class Windows {
  #out = new Map<string, PartialDelta & { key: string }>();
  #last: (PartialDelta & { key: string }) | undefined;

  constructor(readonly reservoir: number, readonly seeds: Record<string, Seed> = {}) {}

  of(ev: PredictionEvent): PartialDelta & { key: string } {
    const start = ev.t - (ev.t % MINUTE_MS);
    const last = this.#last;
    if (last && last.start === start && last.model === ev.model && last.version === ev.version) return last;
    const key = deltaKey(ev.model, ev.version, start);
    let w = this.#out.get(key);
    if (!w) {
      w = { key, model: ev.model, version: ev.version, start, summary: emptyWindowSummary(this.reservoir) };
      const seed = this.seeds[key];
      if (seed) for (const name in seed) w.summary.features[name] = emptyFeatureSketch(seed[name] as FeatureSketch['kind']);
      this.#out.set(key, w);
    }
    this.#last = w;
    return w;
  }

  deltas(): PartialDelta[] {
    return [...this.#out.values()].map(({ model, version, start, summary }) => ({ model, version, start, summary }));
  }
}

/** The prediction events of a slice, in order (phase 2 parses the text again rather than keep them). */
export function predictionsOf(chunks: readonly string[], firstLine: number, now: number): PredictionEvent[] {
  const out: PredictionEvent[] = [];
  forEachChunkLine(chunks, now, (_line, ev) => {
    if (!(ev instanceof EventRejected) && ev.type === 'prediction') out.push(ev);
  }, firstLine);
  return out;
}

/** Whether the speculative summaries of phase 1 count exactly the accepted rows. */
export function speculationHolds(p: ParsedSlice, accept: Uint8Array): boolean {
  for (let i = 0; i < p.n; i++) if (accept[i] !== p.included[i]) return false;
  return true;
}

/** Missing values to add to speculative summaries: [window key, feature, kind, count]. */
export type MissingFix = Array<[key: string, name: string, kind: FeatureSketch['kind'], count: number]>;

/**
 * The skipped nulls that count after all: those of features the main thread's window already had
 * before the slice (its seed). Adding them as missing makes the speculative summaries exact.
 */
export function missingFix(p: ParsedSlice, seeds: Record<string, Seed>): MissingFix {
  const out: MissingFix = [];
  for (const key in p.nullsSkipped) {
    const seed = seeds[key];
    if (!seed) continue;
    const byName = p.nullsSkipped[key] as Record<string, number>;
    for (const name in byName) {
      const kind = seed[name];
      if (kind) out.push([key, name, kind, byName[name] as number]);
    }
  }
  return out;
}

/** Adds a MissingFix to the summaries it was made for. */
export function applyMissing(deltas: readonly PartialDelta[], fix: MissingFix): void {
  if (fix.length === 0) return;
  const byKey = new Map(deltas.map((d) => [deltaKey(d.model, d.version, d.start), d.summary]));
  for (const [key, name, kind, count] of fix) {
    const s = byKey.get(key);
    if (!s) continue;
    const f = (s.features[name] ??= emptyFeatureSketch(kind));
    if (f.kind === 'numeric') f.moments.missing += count;
    else {
      f.counts.missing += count;
      f.counts.total += count;
    }
  }
}

function kindOf(v: unknown): number {
  return typeof v === 'number' ? NUMERIC : v === null ? NULL : STRING;
}

function sameShape(s: Shape, features: Record<string, unknown>): boolean {
  let i = 0;
  for (const name in features) {
    if (s.names[i] !== name || s.kinds.charCodeAt(i) !== kindOf(features[name])) return false;
    i++;
  }
  return i === s.names.length;
}

function shapeOf(features: Record<string, unknown>): Shape {
  const names: string[] = [];
  let kinds = '';
  for (const name in features) {
    names.push(name);
    kinds += String.fromCharCode(kindOf(features[name]));
  }
  return { names, kinds };
}

function intern(index: Map<string, number>, sets: Array<Record<string, string>>, groups: Record<string, string>): number {
  let key = '';
  for (const a in groups) key += `${a}\0${groups[a] as string}\0`;
  let g = index.get(key);
  if (g === undefined) index.set(key, (g = sets.push(groups) - 1));
  return g;
}

/**
 * Phase 2: the summaries of the accepted predictions (`accept[i]` for the i-th of `events`) by
 * window, each starting from its seed (the kinds the main thread's window had before this slice),
 * so a null counts as missing exactly when it would have row by row.
 */
export function summariseSlice(events: readonly PredictionEvent[], accept: Uint8Array, seeds: Record<string, Seed>, o: SummaryOptions): PartialDelta[] {
  const windows = new Windows(o.reservoir, seeds);
  for (let i = 0; i < events.length; i++) {
    if (accept[i] !== 1) continue;
    const ev = events[i] as PredictionEvent;
    const input = ev as PredictionInput;
    input.sample = eventAsSample;
    // Cannot fail: the main thread checked every accepted row's kinds against the same window.
    addPrediction(windows.of(ev).summary, input, o.threshold, o.random);
  }
  return windows.deltas();
}
