/**
 * Monitoring ingest benchmark: prediction events with 15 features (10 numeric, 5 categorical) as
 * NDJSON batches, ingested end to end (parse, validate, version check, sketches, label-join
 * bookkeeping, and the flushes into SQLite — window merges plus every pending prediction written
 * as packed segments so its label can join after a restart) against the anchor of the same
 * NDJSON parsed with JSON.parse and discarded, in the same run. Target: >= 100k events/s end to end.
 * Also printed: the CPU time of each (process.cpuUsage), which a busy shared machine inflates far
 * less than the wall clock, and the load average to judge the wall-clock figures by.
 * With STEWARD_INGEST_WORKER=1, large batches use the ingest worker thread (the second core);
 * with two threads busy, CPU time exceeds wall time, so the main thread's own CPU time is printed too
 * (from /proc: the critical path when the worker keeps up).
 * Run: node --import tsx bench/monitoring-ingest.bench.ts [events=200000] [batch=2000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mainThreadSeconds, makeBatches } from './monitoring-events.ts';
import { startHarness } from '../packages/server/src/testing/api-harness.ts';

// A collector to call before reading memory, without asking the runner for --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const retained = async (): Promise<{ heap: number; buffers: number }> => {
  // Twice, a tick apart: freed array buffers are released by a sweeper that runs after the pause.
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};

const total = Number(process.argv[2] ?? 200_000);
const batchSize = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'steward-ingest-bench-'));
const h = await startHarness(`sqlite:${join(dir, 'bench.db')}`);
try {
  await h.call('POST', 'models', { json: { name: 'bench' } });
  const pushed = await h.push('bench', '1.0.0', { 'model.bin': 'weights' });
  if (pushed.status !== 201) throw new Error(`push failed: ${pushed.text}`);
  const now = Date.now();
  const batches = makeBatches(total, batchSize, now);
  const bytes = batches.reduce((s, b) => s + b.length, 0);
  const monitoring = h.services.monitoring.service;
  monitoring.config.ingestWorker = ['1', 'true', 'on', 'yes'].includes((process.env.STEWARD_INGEST_WORKER ?? '').toLowerCase());
  const bootStart = performance.now();
  const offload = await monitoring.ingestWorkerReady();
  const boot = performance.now() - bootStart;

  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const mainThread = () => mainThreadSeconds(readFileSync);
  let lastCpu = 0;
  let lastMainCpu = 0;
  let lastWorkerCpu = 0;
  const anchor = (): number => {
    const t = performance.now();
    const c = cpuSeconds();
    let n = 0;
    for (const b of batches) for (const line of b.split('\n')) if (JSON.parse(line)) n++;
    if (n !== total) throw new Error('anchor miscounted');
    lastCpu = cpuSeconds() - c;
    return (performance.now() - t) / 1000;
  };
  let lastFlush = 0;
  let lastUnflushed = 0;
  const ingest = async (): Promise<number> => {
    const t = performance.now();
    const c = cpuSeconds();
    const mc = mainThread();
    const wc = (await offload?.workerCpuSeconds()) ?? 0; // asked, not the last answer's: that would count the worker's start-up
    let accepted = 0;
    for (const b of batches) accepted += (await monitoring.ingest(b)).accepted;
    lastUnflushed = monitoring.pending.unflushed;
    const f = performance.now();
    await monitoring.flush();
    lastFlush = (performance.now() - f) / 1000;
    if (accepted !== total) throw new Error(`ingest accepted ${accepted} of ${total}`);
    lastCpu = cpuSeconds() - c;
    lastMainCpu = mainThread() - mc;
    lastWorkerCpu = ((await offload?.workerCpuSeconds()) ?? 0) - wc;
    return (performance.now() - t) / 1000;
  };

  // Main-thread garbage collection during the timed ingest: pauses by kind (1 scavenge, 2 mark-compact, 4 incremental, 8 weak callbacks).
  const gcMs: Record<number, [number, number]> = {};
  let gcOn = false;
  const gcObs = new PerformanceObserver((l) => {
    if (!gcOn) return;
    for (const e of l.getEntries()) {
      const k = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      const cur = (gcMs[k] ??= [0, 0]);
      cur[0]++;
      cur[1] += e.duration;
    }
  });
  gcObs.observe({ entryTypes: ['gc'] });
  anchor(); // warm-up
  const loadBefore = loadavg();
  const a = anchor();
  const aCpu = lastCpu;
  const memBefore = await retained();
  gcOn = true;
  const s = await ingest(); // first run: every request id is new
  await new Promise((r) => setTimeout(r, 0)); // let the observer see the last collections
  gcOn = false;
  gcObs.disconnect();
  const sCpu = lastCpu;
  const memAfter = await retained();
  console.log(`events: ${total} x 15 features, ${(bytes / 1e6).toFixed(1)} MB NDJSON, batches of ${batchSize}`);
  console.log(`JSON.parse and discard : ${(total / a).toFixed(0).padStart(9)} events/s (${a.toFixed(3)} s; CPU ${aCpu.toFixed(3)} s)`);
  console.log(`steward ingest (+flush): ${(total / s).toFixed(0).padStart(9)} events/s (${s.toFixed(3)} s; CPU ${sCpu.toFixed(3)} s = ${(total / sCpu).toFixed(0)} events per CPU-second)`);
  const ws = offload?.stats;
  console.log(`  main thread CPU ${lastMainCpu.toFixed(2)} s; ingest worker: ${ws ? `thread CPU ${lastWorkerCpu.toFixed(2)} s, ${ws.events} events in ${ws.slices} slices (wall in phase 1 ${(ws.workerParseMs / 1000).toFixed(2)} s, ${ws.phase2} phase 2s; started in ${boot.toFixed(0)} ms; ${ws.redone} redone here)` : 'off'}`);
  console.log(`  main-thread GC during ingest: ${Object.entries(gcMs).map(([k, [n, ms]]) => `${({ 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-cb' } as Record<string, string>)[k] ?? k} ${n}× ${ms.toFixed(0)} ms`).join(', ')}`);
  console.log(`  of which the final flush: ${lastFlush.toFixed(3)} s (window merges and ${lastUnflushed} pending predictions written in bulk; an early flush wrote the first ${total - lastUnflushed})`);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`  memory the ingest keeps (after a full GC; ${monitoring.pending.pending} predictions held for their labels): heap +${mib(memAfter.heap - memBefore.heap)} MiB, array buffers +${mib(memAfter.buffers - memBefore.buffers)} MiB`);
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`load average: ${fmt(loadBefore)} before, ${fmt(loadavg())} after (2 cores: wall-clock figures above ~1.5 are not comparable; CPU times are)`);
  console.log(`ratio: ingest takes ${(s / a).toFixed(2)}x the bare parse (CPU: ${(sCpu / aCpu).toFixed(2)}x); target >= 100000 events/s: ${total / s >= 100_000 ? 'met' : 'NOT met'}`);
} finally {
  await h.services.monitoring.service.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
}
