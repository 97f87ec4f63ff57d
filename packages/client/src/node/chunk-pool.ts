import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runChunkTask, type ChunkTask, type ChunkTaskResult } from './chunk-task.ts';

/** Runs chunk tasks on worker threads (or inline with `threads: 0`), at most one per worker. */
export interface ChunkPool {
  run(task: ChunkTask): Promise<ChunkTaskResult>;
  close(): Promise<void>;
}

interface Job {
  id: number;
  task: ChunkTask;
  resolve: (r: ChunkTaskResult) => void;
  reject: (e: Error) => void;
}

/**
 * @param threads worker count; default: every core (the machine's cores, capped at 8).
 * @param onBytes bytes chunked since the last call (summed over workers), for progress bars.
 */
export function createChunkPool(threads = Math.min(availableParallelism(), 8), onBytes?: (delta: number) => void): ChunkPool {
  if (threads <= 0) {
    return { run: (task) => runChunkTask(task, onBytes), close: async () => undefined };
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
      w.postMessage({ id: job.id, task: job.task });
    }
  };
  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./chunk-worker-boot.mjs', import.meta.url));
    w.unref(); // an idle pool never keeps the process alive
    w.on('message', (msg: { id: number; progress?: number; result?: ChunkTaskResult; error?: string }) => {
      if (msg.progress) onBytes?.(msg.progress);
      const job = busy.get(w);
      if (!job || (msg.result === undefined && msg.error === undefined)) return;
      busy.delete(w);
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
    workers.push(w);
    idle.push(w);
  }
  return {
    run(task) {
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => {
        queue.push({ id: nextId++, task, resolve, reject });
        dispatch();
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
