import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { PIECE } from './chunk-scan.ts';
import { runChunkTask, type ChunkTask, type ChunkTaskResult } from './chunk-task.ts';
import { cachedBundle, type BundleBuild } from './chunk-worker-bundle.ts';
import { stewardHome } from './key-pin.ts';

/** Runs chunk tasks on worker threads (or inline with `threads: 0`), at most one per worker. */
export interface ChunkPool {
  /** `onBytes` (if given) gets this task's progress instead of the pool's. */
  run(task: ChunkTask, onBytes?: (delta: number) => void): Promise<ChunkTaskResult>;
  close(): Promise<void>;
}

interface Job {
  id: number;
  task: ChunkTask;
  onBytes?: (delta: number) => void;
  resolve: (r: ChunkTaskResult) => void;
  reject: (e: Error) => void;
}

/**
 * @param threads worker count; default: every core (the machine's cores, capped at 8).
 * @param onBytes bytes chunked since the last call (summed over workers), for progress bars.
 */
export function createChunkPool(threads = Math.min(availableParallelism(), 8), onBytes?: (delta: number) => void): ChunkPool {
  return startPool(threads, onBytes).pool;
}

let shared: { threads: number; pool: ChunkPool; broken: () => boolean } | undefined;

/**
 * One pool per process, started on first use and reused by every later push: a worker costs
 * ~0.1–0.2 s of CPU to start, as much as chunking 64 MiB. Its idle workers are unref'd (they do
 * not keep the process alive) and hold ~10 MiB each. Progress goes through each task's `onBytes`.
 * A pool whose worker crashed is replaced; one of a different size is closed and replaced.
 */
export function sharedChunkPool(threads: number): ChunkPool {
  if (shared && (shared.threads !== threads || shared.broken())) {
    void shared.pool.close();
    shared = undefined;
  }
  if (!shared) shared = { threads, ...startPool(threads) };
  const pool = shared.pool;
  // Closing is the process's business (or the next resize): a caller's close() leaves it running.
  return { run: (task, own) => pool.run(task, own), close: async () => undefined };
}

/** Tasks up to this many bytes are read with blocking calls when chunking inline (on the main thread). */
const INLINE_BLOCKING_BYTES = 1 << 20;

/** Bytes of work from which worker threads are worth their start-up (~0.2 s, as much as chunking 64 MiB inline). */
const WORKERS_FROM_BYTES = 64 << 20;

/**
 * The pool for chunking `bytes`: the process's shared pool on every core (capped at 8) from 64 MiB
 * on, inline below; `threads` overrides the count (0: inline).
 */
export function chunkPoolFor(bytes: number, threads?: number): ChunkPool {
  const n = threads ?? (bytes >= WORKERS_FROM_BYTES ? Math.min(availableParallelism(), 8) : 0);
  return n > 0 ? sharedChunkPool(n) : createChunkPool(0);
}

function startPool(threads: number, onBytes?: (delta: number) => void): { pool: ChunkPool; broken: () => boolean } {
  if (threads <= 0) {
    // Inline, a small file's task reads with blocking calls, into one reused buffer, small tasks
    // one at a time (see ScanOptions.buffer): its open, reads and close each waited for a round
    // trip to libuv's pool, into a fresh 1 MiB buffer. Chunking a model directory of 300 small
    // files (29 MiB): 120–150 → 55–80 ms. Larger tasks run as before, concurrently, reading
    // asynchronously (the segments of one file, and its whole-file digest, overlap their reads).
    const small = (task: ChunkTask) => task.kind === 'scan' && task.to - task.from <= INLINE_BLOCKING_BYTES;
    let buffer: Buffer | undefined;
    let last: Promise<unknown> = Promise.resolve();
    const run = (task: ChunkTask, own?: (delta: number) => void): Promise<ChunkTaskResult> => {
      if (!small(task)) return runChunkTask(task, own ?? onBytes);
      const result = last.then(() => runChunkTask(task, own ?? onBytes, true, (buffer ??= Buffer.allocUnsafe(PIECE))));
      last = result.catch(() => undefined);
      return result;
    };
    return { pool: { run, close: async () => undefined }, broken: () => false };
  }
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const workers: Worker[] = [];
  let nextId = 1;
  let failed: Error | undefined;

  const dispatch = (): void => {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      busy.set(w, job);
      w.ref(); // a busy worker keeps the process alive until it answers
      w.postMessage({ id: job.id, task: job.task });
    }
  };
  const entry = workerEntry();
  for (let i = 0; i < threads; i++) {
    const w = new Worker(entry.url, entry.options);
    w.on('message', (msg: { id: number; progress?: number; result?: ChunkTaskResult; error?: string }) => {
      const job = busy.get(w);
      if (msg.progress) (job?.onBytes ?? onBytes)?.(msg.progress);
      if (!job || (msg.result === undefined && msg.error === undefined)) return;
      busy.delete(w);
      w.unref();
      idle.push(w);
      if (msg.error !== undefined) job.reject(new Error(msg.error));
      else job.resolve(msg.result!);
      dispatch();
    });
    w.on('error', (err) => {
      failed = err;
      busy.get(w)?.reject(err);
      busy.delete(w);
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    w.unref(); // an idle pool never keeps the process alive
    workers.push(w);
    idle.push(w);
  }
  const pool: ChunkPool = {
    run(task, own) {
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, task, ...(own ? { onBytes: own } : {}), resolve, reject });
        dispatch();
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
  return { pool, broken: () => failed !== undefined };
}

let bundled: URL | null | undefined;

/**
 * The worker's code. Preferably chunk-worker.ts bundled into plain JavaScript (esbuild, which tsx
 * already brings) and started without any loader (`execArgv: []`): a worker that loads the
 * TypeScript loader costs 0.5–3.5 s to start and ~2 more V8 isolates (the loader runs on its own
 * thread) of memory. The bundle is kept in `$STEWARD_HOME/cache/chunk-worker` and rebuilt only
 * when a source changed (each CLI push bundled it again: ~0.4 s); without a writable home it is
 * bundled in memory once per process. Falls back to the loader-based boot file if bundling fails.
 */
export function workerEntry(env: Record<string, string | undefined> = process.env): { url: URL; options: WorkerOptions } {
  if (bundled === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const esbuild = require('esbuild') as { version: string; buildSync(o: object): { outputFiles: { text: string }[]; metafile: { inputs: Record<string, unknown> } } };
      const entry = fileURLToPath(new URL('./chunk-worker.ts', import.meta.url));
      const build = (): BundleBuild => {
        // The worker needs only core's chunker: bundling core's whole entry (zod, protobufjs…)
        // would cost every worker ~10× the code to parse and keep.
        const chunking = join(dirname(require.resolve('@steward/core')), 'chunking', 'index.ts');
        const cwd = dirname(entry);
        const out = esbuild.buildSync({
          alias: { '@steward/core': chunking },
          entryPoints: [entry],
          absWorkingDir: cwd,
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          write: false,
          metafile: true,
          logLevel: 'silent',
        });
        return { code: out.outputFiles[0]!.text, inputs: Object.keys(out.metafile.inputs).map((p) => resolve(cwd, p)) };
      };
      const cached = cachedBundle(join(stewardHome(env), 'cache', 'chunk-worker'), entry, esbuild.version, build);
      bundled = cached ? pathToFileURL(cached.path) : new URL(`data:text/javascript;base64,${Buffer.from(build().code).toString('base64')}`);
    } catch {
      bundled = null;
    }
  }
  return bundled
    ? // A task holds a 1 MiB read buffer and one segment's chunk list: small heaps are plenty.
      { url: bundled, options: { execArgv: [], resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } } }
    : { url: new URL('./chunk-worker-boot.mjs', import.meta.url), options: {} };
}
