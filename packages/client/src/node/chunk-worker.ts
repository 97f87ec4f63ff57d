import { parentPort } from 'node:worker_threads';
import { PIECE } from './chunk-scan.ts';
import { runChunkTask, type ChunkTask } from './chunk-task.ts';

/**
 * Worker thread body: receives `{ id, task }`, answers `{ id, progress }` while reading (deltas,
 * about every 8 MiB) and finally `{ id, result }` or `{ id, error }`. The pool gives a worker one
 * task at a time, so it reads with blocking calls: nothing else waits on this thread.
 */
const port = parentPort;
if (!port) throw new Error('chunk-worker.ts must run in a worker thread');
/** The read buffer of every task this worker runs (one at a time): see ScanOptions.buffer. */
const buffer = Buffer.allocUnsafe(PIECE);
port.on('message', (msg: { id: number; task: ChunkTask }) => {
  let pending = 0;
  runChunkTask(msg.task, (delta) => {
    pending += delta;
    if (pending >= 8 << 20) {
      port.postMessage({ id: msg.id, progress: pending });
      pending = 0;
    }
  }, true, buffer).then(
    (result) => port.postMessage({ id: msg.id, progress: pending, result }),
    (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
