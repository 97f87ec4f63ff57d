/**
 * The ingest worker thread: runs the phases of ingest-slice.ts for the main thread. Each slice's
 * text (in pieces) and speculative summaries are kept until the main thread has decided its rows; the
 * summaries of accepted rows then accumulate here by window until the main thread collects them
 * (at each flush), so a batch costs the main thread no summary to receive or merge. Messages are
 * described in ingest-offload.ts.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { absorbWindowSummary, mulberry32 } from '@steward/core';
import { applyMissing, deltaKey, finishSamples, parseSlice, predictionsOf, summariseSlice, transferablesOf, type PartialDelta } from './ingest-slice.ts';
import type { ToWorker, WorkerInit } from './ingest-offload.ts';

const port = parentPort;
if (!port) throw new Error('ingest.worker.ts runs as a worker thread');
const init = workerData as WorkerInit;
const options = { threshold: init.threshold, reservoir: init.reservoir, random: mulberry32(init.seed) };
const held = new Map<number, { chunks: string[]; firstLine: number; now: number; deltas: PartialDelta[] }>();
const collected = new Map<string, PartialDelta>();

/** CPU seconds of this thread so far (Linux; NaN elsewhere): the benchmark reports the worker's share. */
function threadCpu(): number {
  try {
    const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function keep(deltas: readonly PartialDelta[]): void {
  for (const d of deltas) {
    const key = deltaKey(d.model, d.version, d.start);
    const cur = collected.get(key);
    if (cur) absorbWindowSummary(cur.summary, d.summary, options.random);
    else collected.set(key, d);
  }
}

function take(id: number) {
  const slice = held.get(id);
  held.delete(id);
  if (!slice) throw new Error(`ingest worker: no slice ${id}`);
  return slice;
}

port.on('message', (m: ToWorker) => {
  if (m.op === 'parse') {
    const t = performance.now();
    let parsed;
    try {
      parsed = parseSlice(m.chunks, m.firstLine, m.now, options);
    } catch (e) {
      // A bug, not bad input (bad lines are answers): the main thread parses the slice itself.
      port.postMessage({ op: 'failed', id: m.id, message: e instanceof Error ? e.stack ?? e.message : String(e) });
      return;
    }
    held.set(m.id, { chunks: m.chunks, firstLine: m.firstLine, now: m.now, deltas: parsed.deltas });
    parsed.deltas = [];
    port.postMessage({ op: 'parsed', id: m.id, parsed, ms: performance.now() - t, cpu: threadCpu() }, transferablesOf(parsed));
  } else if (m.op === 'commit') {
    const { deltas } = take(m.id);
    applyMissing(deltas, m.missing);
    keep(deltas);
  }
  else if (m.op === 'summarise') {
    const slice = take(m.id);
    keep(summariseSlice(predictionsOf(slice.chunks, slice.firstLine, slice.now), m.accept, m.seeds, options));
  } else if (m.op === 'discard') held.delete(m.id);
  else if (m.op === 'cpu') port.postMessage({ op: 'cpu', id: m.id, cpu: threadCpu() });
  else if (m.op === 'collect') {
    port.postMessage({ op: 'collected', id: m.id, deltas: finishSamples([...collected.values()]), cpu: threadCpu() });
    collected.clear();
  }
});
// Anything else thrown here (commit, summarise) is a bug that would lose accepted rows: the thread
// ends, and the main thread redoes every slice it has not collected yet.
port.postMessage({ op: 'ready' });
