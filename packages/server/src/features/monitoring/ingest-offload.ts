/**
 * The second core for ingest: one worker thread that parses, validates and summarises slices of
 * large batches (ingest-slice.ts) while the main thread does the rest of the batch.
 *
 * Started lazily, on the first batch large enough, and in the background: until it reports ready,
 * batches stay on the main thread. Idle, it does not keep the process alive (unref'd; ref'd only
 * while an answer is awaited). The next large batch after a crash starts a new worker, up to
 * `maxCrashes` times, after which ingest stays on the main thread.
 *
 * Messages (structured clone; the typed arrays of a parsed slice are transferred, not copied):
 *   parse {id, chunks, firstLine, now} → parsed {id, parsed, ms, cpu} (columns; summaries stay there)
 *   commit {id, missing}             the speculative summaries hold: keep them (plus `missing`)
 *   summarise {id, accept, seeds}    they do not: summarise the accepted rows again, keep those
 *   discard {id}                     nothing of the slice is kept
 *   collect {id}                     → collected {id, deltas, cpu}     (what was kept, by window)
 *   cpu {id}                         → cpu {id, cpu}                   (the worker thread's CPU seconds)
 *   a parse that throws              → failed {id, message}
 *
 * Crashes lose nothing accepted: until a collect answers, the main thread keeps each committed
 * slice's text, accepted rows and seeds (`retained`), and if the worker that kept their summaries
 * is gone, `collect` summarises them on the main thread instead (same text, same rows).
 */
import { Worker } from 'node:worker_threads';
import { mulberry32 } from '@steward/core';
import { chunkLines, finishSamples, predictionsOf, summariseSlice, type MissingFix, type ParsedSlice, type PartialDelta, type Seed } from './ingest-slice.ts';

export interface WorkerInit {
  threshold: number;
  reservoir: number;
  /** Seed of the worker's PRNG (its reservoirs). */
  seed: number;
}

export type ToWorker =
  | { op: 'parse'; id: number; chunks: string[]; firstLine: number; now: number }
  | { op: 'commit'; id: number; missing: MissingFix }
  | { op: 'summarise'; id: number; accept: Uint8Array; seeds: Record<string, Seed> }
  | { op: 'discard'; id: number }
  | { op: 'collect'; id: number }
  | { op: 'cpu'; id: number };

type FromWorker =
  | { op: 'ready' }
  | { op: 'parsed'; id: number; parsed: ParsedSlice; ms: number; cpu: number }
  | { op: 'collected'; id: number; deltas: PartialDelta[]; cpu: number }
  | { op: 'cpu'; id: number; cpu: number }
  | { op: 'failed'; id: number; message: string };

/** The worker died (or failed on this request) before answering: do the work on the main thread. */
export class WorkerGone extends Error {}

export interface OffloadOptions extends WorkerInit {
  log?: (msg: string, err?: unknown) => void;
  /** Crashes after which the worker is not started again (default 3). */
  maxCrashes?: number;
  /** Creates the worker thread (tests wrap the real one to crash it at a chosen moment). */
  spawn?: (init: WorkerInit) => Worker;
}

export const spawnIngestWorker = (init: WorkerInit): Worker =>
  // execArgv [] : the boot file registers the TypeScript loader itself (see ingest-worker.boot.mjs).
  new Worker(new URL('./ingest-worker.boot.mjs', import.meta.url), { workerData: init, execArgv: [] });

interface Waiter {
  resolve: (m: FromWorker) => void;
  reject: (e: Error) => void;
}

/** A slice whose accepted rows' summaries are kept by worker `worker` and not collected yet. */
interface Retained {
  worker: Worker;
  tail: string;
  firstLine: number;
  now: number;
  accept: Uint8Array;
  seeds: Record<string, Seed>;
}

export class IngestOffload {
  #worker: Worker | undefined;
  #ready = false;
  #closed = false;
  #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #retained: Retained[] = [];
  #retainedChars = 0;
  #random;
  crashes = 0;
  /**
   * Slices the worker parsed, the predictions in them, slices that needed phase 2, and slices the
   * main thread redid after a failure; milliseconds the worker spent parsing, and the CPU time of
   * its thread (Linux) as of its last answer — start-up included: take differences of `workerCpuSeconds()`.
   */
  readonly stats = { slices: 0, events: 0, phase2: 0, redone: 0, workerParseMs: 0, workerCpuSeconds: 0 };

  constructor(readonly o: OffloadOptions) {
    this.#random = mulberry32(o.seed ^ 0x7f4a7c15);
  }

  /** Whether a slice can go to the worker now; starts one in the background when there is none. */
  available(): boolean {
    if (this.#closed || this.crashes >= (this.o.maxCrashes ?? 3)) return false;
    if (!this.#worker) this.#start();
    return this.#ready;
  }

  /** Resolves once a worker is up (tests and benchmarks: the first large batches otherwise stay on the main thread). */
  async ready(): Promise<void> {
    this.available();
    while (!this.#ready) {
      if (!this.#worker) throw new WorkerGone('the ingest worker is not running');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get running(): boolean {
    return this.#ready;
  }

  /** Characters of slice text held until the next collect (the service collects early past a bound). */
  get retainedChars(): number {
    return this.#retainedChars;
  }

  #start(): void {
    const w = (this.o.spawn ?? spawnIngestWorker)({ threshold: this.o.threshold, reservoir: this.o.reservoir, seed: this.o.seed + this.crashes });
    this.#worker = w;
    w.unref();
    w.on('message', (m: FromWorker) => {
      if (m.op === 'ready') {
        if (this.#worker === w) this.#ready = true;
        return;
      }
      const waiter = this.#waiting.get(m.id);
      if (!waiter) return;
      this.#settle(m.id);
      if (m.op === 'failed') waiter.reject(new WorkerGone(`ingest worker failed: ${m.message}`));
      else waiter.resolve(m);
    });
    w.on('error', (e) => this.o.log?.('monitoring: the ingest worker crashed; ingest continues on the main thread', e));
    w.on('exit', () => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      this.#ready = false;
      if (!this.#closed) {
        this.crashes++;
        if (this.crashes >= (this.o.maxCrashes ?? 3)) this.o.log?.(`monitoring: the ingest worker stopped ${this.crashes} times; ingest stays on the main thread`);
      }
      const gone = [...this.#waiting.values()];
      this.#waiting.clear();
      for (const waiter of gone) waiter.reject(new WorkerGone('the ingest worker exited'));
    });
  }

  #settle(id: number): void {
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker?.unref();
  }

  #ask(m: ToWorker): Promise<FromWorker> {
    const w = this.#worker;
    if (!w || !this.#ready) return Promise.reject(new WorkerGone('the ingest worker is not running'));
    return new Promise<FromWorker>((resolve, reject) => {
      if (this.#waiting.size === 0) w.ref();
      this.#waiting.set(m.id, { resolve, reject });
      w.postMessage(m);
    });
  }

  /** Phase 1 of a slice (whole lines, the first numbered `firstLine`). */
  parse(text: string, firstLine: number, now: number): { id: number; parsed: Promise<ParsedSlice>; worker: Worker | undefined } {
    const id = this.#nextId++;
    const worker = this.#worker;
    const parsed = this.#ask({ op: 'parse', id, chunks: chunkLines(text), firstLine, now }).then((m) => {
      const p = m as Extract<FromWorker, { op: 'parsed' }>;
      this.stats.slices++;
      this.stats.events += p.parsed.n;
      this.stats.workerParseMs += p.ms;
      this.stats.workerCpuSeconds = p.cpu;
      return p.parsed;
    });
    return { id, parsed, worker };
  }

  /**
   * The rows of slice `id` are decided: the worker keeps the summaries of the accepted ones (its
   * speculative ones with the `speculative` fix when given, else summarised again from `seeds`) until `collect`.
   */
  keep(id: number, worker: Worker | undefined, slice: Omit<Retained, 'worker'>, speculative: MissingFix | undefined): void {
    if (!worker) return;
    this.#retained.push({ worker, ...slice });
    this.#retainedChars += slice.tail.length;
    if (worker !== this.#worker) return; // gone already: collect redoes it here
    if (speculative) worker.postMessage({ op: 'commit', id, missing: speculative } satisfies ToWorker);
    else {
      this.stats.phase2++;
      const accept = slice.accept.slice();
      worker.postMessage({ op: 'summarise', id, accept, seeds: slice.seeds } satisfies ToWorker, [accept.buffer as ArrayBuffer]);
    }
  }

  /** Drops slice `id` in the worker (nothing of it was accepted, or its batch failed). */
  discard(id: number, worker: Worker | undefined): void {
    if (worker && worker === this.#worker) worker.postMessage({ op: 'discard', id } satisfies ToWorker);
  }

  /**
   * The summaries of every slice kept so far, by window (several entries may share a window). What
   * a dead worker held is summarised here from the retained slices.
   */
  async collect(): Promise<PartialDelta[]> {
    const retained = this.#retained;
    this.#retained = [];
    this.#retainedChars = 0;
    if (retained.length === 0) return [];
    const w = this.#worker;
    const lost = retained.filter((r) => r.worker !== w);
    let out: PartialDelta[] = [];
    if (lost.length < retained.length) {
      try {
        const m = (await this.#ask({ op: 'collect', id: this.#nextId++ })) as Extract<FromWorker, { op: 'collected' }>;
        this.stats.workerCpuSeconds = m.cpu;
        out = m.deltas;
      } catch (e) {
        if (!(e instanceof WorkerGone)) throw e;
        lost.push(...retained.filter((r) => r.worker === w));
      }
    }
    for (const r of lost) {
      this.stats.redone++;
      out.push(...finishSamples(summariseSlice(predictionsOf([r.tail], r.firstLine, r.now), r.accept, r.seeds, { threshold: this.o.threshold, reservoir: this.o.reservoir, random: this.#random })));
    }
    return out;
  }

  /** CPU seconds of the worker thread since it started, asked now (Linux; NaN elsewhere): benchmarks take differences. */
  async workerCpuSeconds(): Promise<number> {
    const m = (await this.#ask({ op: 'cpu', id: this.#nextId++ })) as Extract<FromWorker, { op: 'cpu' }>;
    return m.cpu;
  }

  /** Stops the worker as a crash would (requests in flight fail with WorkerGone); for tests. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker?.terminate();
  }
}
