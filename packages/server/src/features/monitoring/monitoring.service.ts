/**
 * Monitoring: NDJSON ingest into per-minute sketches, periodic flush into stored 1m/1h/1d windows,
 * and the queries (metrics per window, drift, performance, fairness) that the CLI, the API, the
 * maintenance rules and rollout analysis read. Queries flush first, so they see every accepted event.
 */
import {
  InvalidInputError, NotFoundError, PayloadTooLargeError, buildReferenceProfile, cbpeFromHistogram, driftFromSketches, emptyWindowSummary,
  groupFairnessWithCi, mergeWindowSummaries, mulberry32, parseCsv, windowMetrics,
  type DriftOptions, type Random, type ReferenceOptions, type ReferenceProfile, type WindowMetrics, type WindowSummary,
} from '@steward/core';
import { iso } from '../../lib/context.ts';
import { Aggregator, CLAIM, MISS, type Delta, type SliceState } from './aggregator.ts';
import { EventRejected, forEachLine, type FeedbackEvent, type MonitoringEvent, type RejectCode } from './events.parse.ts';
import type { Worker } from 'node:worker_threads';
import { IngestOffload, WorkerGone } from './ingest-offload.ts';
import { missingFix, speculationHolds, type ParsedSlice } from './ingest-slice.ts';
import type { MonitoringCounters } from './monitoring.metrics.ts';
import { GRANULARITY_MS, type Granularity, type MonitoringStore, type PendingRow, type StoredWindow } from './monitoring.store.sql.ts';
import { decodeSegment } from './pending-segment.ts';
import type { HeldRow } from './pending-table.ts';

export interface MonitoringConfig {
  labelHorizonMs: number;
  maxPending: number;
  reservoir: number;
  threshold: number;
  maxEventsPerBatch: number;
  /** Events with a time further in the future than this are rejected (bad_time). */
  maxFutureSkewMs: number;
  retentionMs: Record<Granularity, number>;
  /**
   * Period of the background flush (windows, pending predictions, detector states): a SIGKILL
   * loses at most what was accepted in the last interval. A flush also starts early once
   * `maxPending / 2` predictions are waiting to be written.
   */
  flushIntervalMs: number;
  /**
   * Parse, validate and summarise part of each large batch on a worker thread (the second core;
   * see ingest-offload.ts). Off (the default: on the 2-core machine it measured, it used more
   * CPU than it saved, see bench/README.md): everything on the main thread. Read per batch.
   */
  ingestWorker: boolean;
  /** Batches with at least this many lines use the worker. */
  workerMinLines: number;
  /** Share of a large batch's lines (its tail) that goes to the worker, 0..1. */
  workerShare: number;
}

export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  labelHorizonMs: 7 * 86_400_000,
  maxPending: 200_000,
  reservoir: 200,
  threshold: 0.5,
  maxEventsPerBatch: 50_000,
  maxFutureSkewMs: 5 * 60_000,
  retentionMs: { '1m': 7 * 86_400_000, '1h': 90 * 86_400_000, '1d': 730 * 86_400_000 },
  flushIntervalMs: 10_000,
  ingestWorker: false,
  workerMinLines: 1000,
  workerShare: 0.55,
};

export interface IngestResult {
  accepted: number;
  rejected: number;
  predictions: number;
  feedback: number;
  reasons: Partial<Record<RejectCode, number>>;
  /** The first few rejected lines, to fix the sender. */
  errors: Array<{ line: number; code: RejectCode; message: string }>;
}

export interface WindowView {
  model: string;
  version: string;
  start: string;
  end: string;
  metrics: WindowMetrics;
}

export interface Range {
  since: Date;
  until: Date;
}

interface Deps {
  store: MonitoringStore;
  /** Resolves a committed version; throws NotFoundError (code model_not_found / version_not_found) otherwise. */
  versionExists: (model: string, version: string) => Promise<void>;
  /** Bytes of a registered blob, for reference datasets. */
  readBlob: (sha256: string) => Promise<string>;
  datasetsOf: (model: string, version: string) => Promise<Array<{ name: string; sha256: string }>>;
  counters?: MonitoringCounters;
  now: () => Date;
  log?: (msg: string, err?: unknown) => void;
  config?: Partial<MonitoringConfig>;
  random?: Random;
  /** The ingest worker (tests pass one to watch or crash it); default: one started on first use. */
  offload?: IngestOffload;
}

const MAX_ERRORS_SHOWN = 20;
/** Slice text held for a crashed worker's redo before the summaries are collected early (~32 MiB). */
const MAX_RETAINED_CHARS = 32 * 2 ** 20;

/** Granularity whose windows cover a range with few rows but enough precision at its edges. */
export function granularityFor(r: Range): Granularity {
  const span = r.until.getTime() - r.since.getTime();
  return span <= 6 * 3_600_000 ? '1m' : span <= 7 * 86_400_000 ? '1h' : '1d';
}

export function createMonitoringService(deps: Deps) {
  const config: MonitoringConfig = { ...DEFAULT_MONITORING_CONFIG, ...deps.config };
  const random = deps.random ?? mulberry32(0x5eed);
  const agg = new Aggregator({ labelHorizonMs: config.labelHorizonMs, maxPending: config.maxPending, reservoir: config.reservoir, threshold: config.threshold, random });
  const known = new Map<string, { ok: RejectCode | undefined; until: number }>();
  let flushing: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  // Pending segments this process holds or has looked at (its own, loaded, or too old to load), by
  // id with their write time; and the write time from which other replicas' segments are read.
  const seenSegments = new Map<string, number>();
  let tailFrom = Number.NEGATIVE_INFINITY;
  // Another replica's flush commits a little after the time it stamps: read back this far.
  const TAIL_OVERLAP_MS = 60_000;

  async function loadSegments(ids: string[]): Promise<void> {
    const rows: PendingRow[][] = [];
    for (const seg of await deps.store.segmentData(ids)) {
      try {
        rows.push(decodeSegment(seg.model, seg.data));
      } catch (e) {
        deps.log?.(`monitoring: pending segment ${seg.id} is unreadable; its predictions cannot be labelled`, e);
      }
    }
    for (const r of rows) agg.loadStored(r);
  }

  /** At start: detector states, and the newest stored predictions up to the pending cap. */
  async function restore(): Promise<void> {
    const [states, segments] = await Promise.all([deps.store.detectors(), deps.store.segmentList(deps.now().getTime() - config.labelHorizonMs)]);
    agg.loadDetectorStates(states, (r, e) => deps.log?.(`monitoring: detector state of ${r.model}@${r.version} is unreadable; starting it over`, e));
    const load: string[] = [];
    let n = 0;
    for (const seg of segments) {
      const at = Date.parse(seg.createdAt);
      seenSegments.set(seg.id, at);
      if (at > tailFrom) tailFrom = at;
      if (n < config.maxPending) {
        load.push(seg.id);
        n += seg.count;
      }
    }
    // Oldest first, so each model's map keeps time order for eviction and expiry.
    await loadSegments(load.reverse());
  }

  /** Reads segments other replicas wrote since the last look (when a label names an unknown request). */
  async function tail(): Promise<void> {
    const since = Number.isFinite(tailFrom) ? iso(new Date(tailFrom - TAIL_OVERLAP_MS)) : undefined;
    const segments = await deps.store.segmentList(deps.now().getTime() - config.labelHorizonMs, since);
    const load: string[] = [];
    for (const seg of segments) {
      const at = Date.parse(seg.createdAt);
      if (seenSegments.has(seg.id)) continue;
      seenSegments.set(seg.id, at);
      if (at > tailFrom) tailFrom = at;
      load.push(seg.id);
    }
    if (load.length > 0) await loadSegments(load.reverse());
  }

  let restoring: Promise<void> | undefined;
  const restored = (): Promise<void> =>
    (restoring ??= restore().catch((e) => {
      restoring = undefined; // try again with the next batch rather than failing forever
      throw e;
    }));
  let earlyFlush = false;
  let offload = deps.offload;
  // Collects of the worker's summaries under way (a flush waits for them before taking the deltas).
  const collecting = new Set<Promise<void>>();
  const offloadReady = (): IngestOffload | undefined => {
    if (!config.ingestWorker) return undefined;
    offload ??= new IngestOffload({
      threshold: config.threshold, reservoir: config.reservoir, seed: 0x5eed ^ 0x1f,
      ...(deps.log ? { log: deps.log } : {}),
    });
    return offload.available() ? offload : undefined;
  };
  /** Brings the summaries the worker keeps (or, if it died, their redo here) into the deltas. */
  function collect(): Promise<void> {
    const o = offload;
    if (!o) return Promise.resolve();
    const c = o.collect().then((deltas) => agg.absorb(deltas));
    collecting.add(c);
    void c.catch(() => undefined).finally(() => collecting.delete(c));
    return c;
  }

  async function check(model: string, version: string | undefined, now: number): Promise<RejectCode | undefined> {
    const key = `${model}\0${version ?? ''}`;
    const hit = known.get(key);
    if (hit && hit.until > now) return hit.ok;
    let ok: RejectCode | undefined;
    try {
      if (version !== undefined) await deps.versionExists(model, version);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      ok = e.code === 'model_not_found' ? 'unknown_model' : 'unknown_version';
    }
    // Known versions stay known; unknown ones are re-checked after 5 s (a push may land meanwhile).
    known.set(key, { ok, until: ok ? now + 5000 : Number.POSITIVE_INFINITY });
    return ok;
  }

  async function ingest(text: string): Promise<IngestResult> {
    await restored();
    const nowMs = deps.now().getTime();
    const res: IngestResult = { accepted: 0, rejected: 0, predictions: 0, feedback: 0, reasons: {}, errors: [] };
    const rejectLine = (line: number, code: RejectCode, message: string) => {
      res.rejected++;
      res.reasons[code] = (res.reasons[code] ?? 0) + 1;
      // The first lines by number, whichever order they were decided in (the worker's slice is decided after the head's waiting lines).
      if (res.errors.length < MAX_ERRORS_SHOWN) res.errors.push({ line, code, message });
      else {
        let last = 0;
        for (let i = 1; i < res.errors.length; i++) if ((res.errors[i] as { line: number }).line > (res.errors[last] as { line: number }).line) last = i;
        if (line < (res.errors[last] as { line: number }).line) res.errors[last] = { line, code, message };
      }
    };
    // Refuse an oversized batch before touching anything, so a 413 leaves no partial batch behind.
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (lines > config.maxEventsPerBatch) {
      throw new PayloadTooLargeError(`a batch holds at most ${config.maxEventsPerBatch} lines; split it`, { maxEvents: config.maxEventsPerBatch });
    }
    // A large batch: its tail goes to the worker (phase 1: parse and validate) while this thread
    // does the head; see ingest-slice.ts.
    let split = -1;
    let splitLine = 0;
    const worker = lines >= config.workerMinLines ? offloadReady() : undefined;
    if (worker) {
      const head = Math.max(1, Math.round(lines * (1 - config.workerShare)));
      let n = 1;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
        if (n++ === head) {
          split = i + 1;
          splitLine = n;
          break;
        }
      }
    }
    let job: Job | undefined;
    if (worker && split > 0) {
      const tail = text.slice(split);
      job = { ...worker.parse(tail, splitLine, nowMs), offload: worker, tail, firstLine: splitLine, kept: false };
      job.parsed.catch(() => undefined); // awaited below; a crash meanwhile is not an unhandled rejection
    }
    try {
      return await ingestLines(text, split, job, nowMs, res, rejectLine);
    } finally {
      if (job && !job.kept) job.offload.discard(job.id, job.worker); // nothing accepted, or the batch failed
      // Slices kept by the worker are retained here until collected: bound that memory.
      if (job?.kept && worker!.retainedChars > MAX_RETAINED_CHARS) void collect().catch((e) => deps.log?.('monitoring: collecting ingest summaries failed', e));
    }
  }

  /** A batch whose tail (from line `firstLine`) went to the worker. */
  interface Job {
    id: number;
    parsed: Promise<ParsedSlice>;
    offload: IngestOffload;
    worker: Worker | undefined;
    tail: string;
    firstLine: number;
    /** The worker keeps the summaries of its accepted rows. */
    kept: boolean;
  }

  async function ingestLines(
    text: string, split: number, job: Job | undefined, nowMs: number, res: IngestResult,
    rejectLine: (line: number, code: RejectCode, message: string) => void,
  ): Promise<IngestResult> {
    const settle = (line: number, ev: MonitoringEvent, code: RejectCode | undefined) => {
      if (code) rejectLine(line, code, messageFor(code, ev));
      else {
        res.accepted++;
        if (ev.type === 'prediction') res.predictions++;
        else res.feedback++;
      }
    };
    // Labels of stored predictions must win a claim row (one round trip per batch); labels of
    // requests not held here wait for one look at newer segments (another replica's).
    const claims: Array<[number, FeedbackEvent]> = [];
    const misses: Array<[number, FeedbackEvent]> = [];
    const apply = (line: number, ev: MonitoringEvent, bad: RejectCode | undefined) => {
      const code = bad ?? (ev.type === 'prediction' ? agg.addPrediction(ev) : agg.addFeedback(ev));
      if (code === CLAIM) claims.push([line, ev as FeedbackEvent]);
      else if (code === MISS) misses.push([line, ev as FeedbackEvent]);
      else settle(line, ev, code);
    };
    // Events of a model/version already resolved are applied while parsing (they die young: no
    // per-event tuple kept for the whole batch); the others wait for one lookup per distinct pair.
    // A number stands for the worker slice's prediction of that index.
    const waiting: Array<[number, MonitoringEvent | number]> = [];
    let lastModel: string | undefined;
    let lastVersion: string | undefined;
    let lastVerdict: { ok: RejectCode | undefined; until: number } | undefined;
    const badTime = (t: number) => t > nowMs + config.maxFutureSkewMs || t < nowMs - config.retentionMs['1m'];
    const onLine = (line: number, ev: MonitoringEvent | EventRejected) => {
      if (ev instanceof EventRejected) return rejectLine(line, ev.code, ev.message);
      if (badTime(ev.t)) return rejectLine(line, 'bad_time', 'time is in the future or older than the retention');
      const version = ev.type === 'prediction' ? ev.version : '';
      if (ev.model !== lastModel || version !== lastVersion) {
        lastModel = ev.model;
        lastVersion = version;
        lastVerdict = known.get(`${ev.model}\0${version}`);
      }
      if (lastVerdict && lastVerdict.until > nowMs) apply(line, ev, lastVerdict.ok);
      else waiting.push([line, ev]);
    };
    forEachLine(job ? text.slice(0, split) : text, nowMs, onLine);
    let parsed: ParsedSlice | undefined;
    if (job) {
      try {
        parsed = await job.parsed;
      } catch (e) {
        if (!(e instanceof WorkerGone)) throw e;
        deps.log?.('monitoring: the ingest worker did not parse a slice; parsing it here', e);
        job.offload.stats.redone++;
        forEachLine(job.tail, nowMs, onLine, job.firstLine);
      }
    }
    // The worker's predictions go through the same checks, in line order, as `apply` would take them.
    const slice: SliceState | undefined = parsed && { shapes: parsed.shapes, seeds: {}, lastSeeded: undefined, verified: [] };
    const accept = parsed ? new Uint8Array(parsed.n) : undefined;
    const applyParsed = (p: ParsedSlice, i: number, bad: RejectCode | undefined) => {
      const [model, version] = p.pairs[p.pair[i] as number] as [string, string];
      const requestId = p.ids.slice(i > 0 ? (p.idEnd[i - 1] as number) : 0, p.idEnd[i] as number);
      const score = p.score[i] as number;
      const g = p.group[i] as number;
      const code = bad ?? agg.addParsed(model, version, requestId, p.hash[i] as number, p.t[i] as number, score === score ? score : undefined, p.positive[i] === 1, g >= 0 ? p.groupSets[g] : undefined, p.shape[i] as number, slice!);
      if (code) rejectLine(p.line[i] as number, code, messageFor(code, { model, version, requestId }));
      else {
        accept![i] = 1;
        res.accepted++;
        res.predictions++;
      }
    };
    if (parsed) {
      const p = parsed;
      for (const [line, code, message] of p.rejected) rejectLine(line, code, message);
      const verdicts = p.pairs.map(([m, v]) => known.get(`${m}\0${v}`));
      let f = 0;
      for (let i = 0; i < p.n; i++) {
        const line = p.line[i] as number;
        for (; f < p.feedback.length && (p.feedback[f] as [number, FeedbackEvent])[0] < line; f++) onLine(...(p.feedback[f] as [number, FeedbackEvent]));
        if (badTime(p.t[i] as number)) {
          rejectLine(line, 'bad_time', 'time is in the future or older than the retention');
          continue;
        }
        const verdict = verdicts[p.pair[i] as number];
        if (verdict && verdict.until > nowMs) applyParsed(p, i, verdict.ok);
        else waiting.push([line, i]);
      }
      for (; f < p.feedback.length; f++) onLine(...(p.feedback[f] as [number, FeedbackEvent]));
    }
    for (const [line, ev] of waiting) {
      if (typeof ev === 'number') {
        const [model, version] = parsed!.pairs[parsed!.pair[ev] as number] as [string, string];
        applyParsed(parsed!, ev, await check(model, version, nowMs));
        continue;
      }
      const version = ev.type === 'prediction' ? ev.version : undefined;
      apply(line, ev, await check(ev.model, version, nowMs));
    }
    // Phase 2: the worker summarises the accepted rows; every decision about them is made.
    // Every row is decided. The worker keeps its summaries when they count exactly the accepted
    // rows (nearly always; skipped nulls are added), else summarises the accepted rows again (phase 2);
    // the next flush collects them.
    if (job && parsed && accept!.includes(1)) {
      job.offload.keep(job.id, job.worker, { tail: job.tail, firstLine: job.firstLine, now: nowMs, accept: accept!, seeds: slice!.seeds }, speculationHolds(parsed, accept!) ? missingFix(parsed, slice!.seeds) : undefined);
      job.kept = true;
    }
    if (misses.length > 0) {
      await tail();
      for (const [line, ev] of misses) {
        const code = agg.addFeedback(ev);
        if (code === CLAIM) claims.push([line, ev]);
        else settle(line, ev, code === MISS ? 'unknown_request' : code);
      }
    }
    if (claims.length > 0) {
      // The predictions are taken now: another batch may run while the claim is in flight.
      const rows = new Map<string, HeldRow>();
      for (const [, ev] of claims) {
        const p = agg.stored(ev);
        if (p) rows.set(`${ev.model}\0${ev.requestId}`, p);
      }
      const won = await deps.store.claim([...rows.values()].map((p) => ({ model: p.model, requestId: p.requestId, t: p.t })));
      for (const [line, ev] of claims) {
        const key = `${ev.model}\0${ev.requestId}`;
        // A second label for the same request in this batch loses to the first (delete → false).
        settle(line, ev, agg.joinClaimed(ev, rows.get(key), won.delete(key)));
      }
    }
    res.errors.sort((x, y) => x.line - y.line);
    deps.counters?.record(res);
    // Keep unwritten predictions (what a crash loses, and what eviction would drop) bounded.
    if (!earlyFlush && agg.freshCount >= config.maxPending / 2) {
      earlyFlush = true;
      flush().catch((e) => deps.log?.('monitoring flush failed', e)).finally(() => (earlyFlush = false));
    }
    return res;
  }

  async function doFlush(): Promise<void> {
    await restored();
    // Summaries of rows accepted before this flush that the worker keeps belong in it (queries
    // flush first). Batches decided meanwhile may have left empty sketches in the deltas for
    // features their summaries will fill: takeDeltas drops those, the summaries go to the next flush.
    await collect();
    if (collecting.size > 0) await Promise.all([...collecting]);
    const nowMs = deps.now().getTime();
    agg.expire(nowMs);
    const deltas = agg.takeDeltas();
    const pending = agg.takePending();
    const detectors = agg.takeDetectorStates();
    if (deltas.length === 0 && pending.count === 0 && pending.joined.length === 0 && detectors.length === 0) return await pruneHourly(nowMs);
    const rolled = new Map<string, StoredWindow>();
    for (const d of deltas) {
      for (const g of ['1m', '1h', '1d'] as const) {
        const start = iso(new Date(d.start - (d.start % GRANULARITY_MS[g])));
        const key = `${d.model}\0${d.version}\0${g}\0${start}`;
        const cur = rolled.get(key);
        rolled.set(key, { model: d.model, version: d.version, granularity: g, start, summary: cur ? mergeWindowSummaries(cur.summary, d.summary, random) : d.summary });
      }
    }
    try {
      const ids = await deps.store.flush({ windows: [...rolled.values()], pending: pending.pending, joined: pending.joined, detectors }, iso(new Date(nowMs)));
      for (const id of ids) seenSegments.set(id, nowMs);
      if (ids.length > 0 && nowMs > tailFrom) tailFrom = nowMs;
    } catch (e) {
      agg.restore(deltas, (a, b) => mergeWindowSummaries(a, b, random));
      agg.pendingNotStored(pending.joined);
      agg.detectorStatesNotStored(detectors);
      throw e;
    }
    agg.pendingStored();
    await pruneHourly(nowMs);
  }

  /** Retention of stored windows, and stored predictions past the label horizon. */
  async function pruneHourly(nowMs: number): Promise<void> {
    if (nowMs - lastPrune <= 3_600_000) return;
    lastPrune = nowMs;
    for (const g of ['1m', '1h', '1d'] as const) await deps.store.prune(g, iso(new Date(nowMs - config.retentionMs[g])));
    const before = nowMs - config.labelHorizonMs;
    await deps.store.sweepPending(before);
    // Segments written before the horizon can hold no prediction still inside it.
    for (const [id, at] of seenSegments) if (at < before) seenSegments.delete(id);
  }

  /** Serialised: one flush at a time, each waiting for the previous. */
  function flush(): Promise<void> {
    const next = flushing.then(doFlush, doFlush);
    flushing = next.catch(() => undefined);
    return next;
  }

  async function windows(model: string, version: string | undefined, granularity: Granularity, range: Range): Promise<Array<StoredWindow & { end: string }>> {
    await flush();
    const step = GRANULARITY_MS[granularity];
    const since = new Date(range.since.getTime() - (range.since.getTime() % step));
    const rows = await deps.store.windows(model, version, granularity, iso(since), iso(range.until));
    return rows.map((w) => ({ ...w, end: iso(new Date(Date.parse(w.start) + step)) }));
  }

  async function merged(model: string, version: string, range: Range): Promise<WindowSummary> {
    const ws = await windows(model, version, granularityFor(range), range);
    return ws.reduce((acc, w) => mergeWindowSummaries(acc, w.summary, random), emptyWindowSummary(config.reservoir));
  }

  async function requireReference(model: string, version: string): Promise<ReferenceProfile> {
    const ref = await deps.store.reference(model, version);
    if (!ref) {
      throw new NotFoundError(
        `${model}@${version} has no reference profile; set one with: steward reference ${model}@${version} --dataset NAME --label COLUMN --score COLUMN`,
        { model, version }, 'reference_not_found',
      );
    }
    return ref.profile;
  }

  return {
    config,
    ingest,
    flush,
    /** The ingest worker, once a large batch started it (statistics; tests crash it). */
    get ingestWorker(): IngestOffload | undefined {
      return offload;
    },
    /** Starts the ingest worker now instead of at the first large batch, and waits until it is up (benchmarks, tests). */
    async ingestWorkerReady(): Promise<IngestOffload | undefined> {
      if (!config.ingestWorker) return undefined;
      offloadReady();
      await offload?.ready();
      return offload;
    },
    /** Flushes, then stops the ingest worker (a later large batch would start a new one). */
    async close(): Promise<void> {
      await flush();
      const o = offload;
      offload = deps.offload;
      if (o && o !== deps.offload) await o.close();
    },
    get pending() {
      return { pending: agg.pendingCount, unflushed: agg.freshCount, evicted: agg.evicted, expired: agg.expired };
    },
    /** Detectors of one model version as they stand in this process (diagnostics and tests). */
    detectorsOf: (model: string, version: string) => agg.detectors(model, version),

    /**
     * Metrics per stored window, oldest first: the function rollout analysis and rules call.
     * @example await monitoring.metrics('adult', '1.0.0', '1h', { since, until })
     */
    async metrics(model: string, version: string | undefined, granularity: Granularity, range: Range): Promise<WindowView[]> {
      const ws = await windows(model, version, granularity, range);
      return ws.map((w) => ({ model: w.model, version: w.version, start: w.start, end: w.end, metrics: windowMetrics(w.summary, config.threshold) }));
    },
    windows,
    merged,

    async drift(model: string, version: string, range: Range, options: DriftOptions = {}) {
      const profile = await requireReference(model, version);
      const cur = await merged(model, version, range);
      return { model, version, since: iso(range.since), until: iso(range.until), rows: cur.count, ...driftFromSketches(profile, cur.features, options) };
    },

    async performance(model: string, version: string, range: Range) {
      const ref = (await deps.store.reference(model, version))?.profile;
      const cur = await merged(model, version, range);
      const m = windowMetrics(cur, config.threshold);
      const est = cbpeFromHistogram(cur.scores, config.threshold);
      const calibrated = ref?.performance?.calibrated ?? null;
      return {
        model, version, since: iso(range.since), until: iso(range.until), rows: cur.count,
        realized: { labelled: m.labelled, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, logLoss: m.logLoss },
        estimated: { method: 'cbpe' as const, rows: est.rows, accuracy: est.accuracy, f1: est.f1, rocAuc: est.rocAuc, calibrated, trustworthy: calibrated === true },
        reference: ref?.performance ?? null,
      };
    },

    async fairness(model: string, version: string, attr: string, range: Range, opts: { minGroupSize?: number; iterations?: number } = {}) {
      const cur = await merged(model, version, range);
      const groups = cur.groups[attr];
      if (!groups) throw new NotFoundError(`no events of ${model}@${version} carry group attribute "${attr}" in that range`, { attr, known: Object.keys(cur.groups) }, 'attribute_not_found');
      const report = groupFairnessWithCi(groups, { random: mulberry32(1), minGroupSize: opts.minGroupSize ?? 30, iterations: opts.iterations ?? 200 });
      return { model, version, attribute: attr, since: iso(range.since), until: iso(range.until), minGroupSize: opts.minGroupSize ?? 30, ...report };
    },

    async setReferenceCsv(model: string, version: string, csv: string, options: ReferenceOptions, source: string) {
      await check(model, version, deps.now().getTime()).then((bad) => {
        if (bad) throw new NotFoundError(`${model}@${version} is not a committed version`, { model, version }, bad === 'unknown_model' ? 'model_not_found' : 'version_not_found');
      });
      const table = parseCsv(csv);
      if (table.rows.length === 0) throw new InvalidInputError('the reference dataset has no rows', {}, 'empty_dataset');
      for (const c of [options.label, options.score]) {
        if (c !== undefined && !table.header.includes(c)) throw new InvalidInputError(`column "${c}" is not in the dataset (columns: ${table.header.join(', ')})`, { column: c }, 'unknown_column');
      }
      const profile = buildReferenceProfile(table, options);
      const at = iso(deps.now());
      await deps.store.putReference(model, version, profile, source, at);
      return { model, version, source, createdAt: at, rows: profile.rows, columns: Object.keys(profile.columns), performance: profile.performance ?? null };
    },

    /** From a dataset registered on the version (by name or digest). */
    async setReferenceFromDataset(model: string, version: string, dataset: string, options: ReferenceOptions) {
      const ds = await deps.datasetsOf(model, version);
      const d = ds.find((x) => x.name === dataset || x.sha256 === dataset);
      if (!d) throw new NotFoundError(`${model}@${version} has no dataset "${dataset}" (has: ${ds.map((x) => x.name).join(', ') || 'none'})`, { dataset }, 'dataset_not_found');
      return this.setReferenceCsv(model, version, await deps.readBlob(d.sha256), options, `dataset:${d.name}@${d.sha256}`);
    },

    referenceOrUndefined: (model: string, version: string) => deps.store.reference(model, version),

    async reference(model: string, version: string) {
      const r = await deps.store.reference(model, version);
      if (!r) await requireReference(model, version);
      return { model, version, ...r! };
    },
  };
}

function messageFor(code: RejectCode, ev: Pick<MonitoringEvent, 'model' | 'requestId'> & { version?: string }): string {
  switch (code) {
    case 'unknown_model': return `model "${ev.model}" is not registered`;
    case 'unknown_version': return `version ${ev.model}@${ev.version ?? '?'} is not committed`;
    case 'duplicate_request': return `request id "${ev.requestId}" was already reported`;
    case 'unknown_request': return `no prediction with request id "${ev.requestId}" within the label horizon`;
    case 'feature_type_changed': return 'a feature changed type (number vs string) within the window';
    default: return code;
  }
}

export type MonitoringService = ReturnType<typeof createMonitoringService>;
export type { Delta };
