/**
 * Monitoring ingest benchmark: prediction events with 15 features (10 numeric, 5 categorical) as
 * NDJSON batches, ingested end to end (parse, validate, version check, sketches, label-join
 * bookkeeping, and the flushes into SQLite — window merges plus every pending prediction written
 * as packed segments so its label can join after a restart) against the anchor of the same
 * NDJSON parsed with JSON.parse and discarded, in the same run. Target: >= 100k events/s end to end.
 * Also printed: the CPU time of each (process.cpuUsage), which a busy shared machine inflates far
 * less than the wall clock, and the load average to judge the wall-clock figures by.
 * Run: node --import tsx bench/monitoring-ingest.bench.ts [events=200000] [batch=2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mulberry32 } from '../packages/core/src/sketches/prng.ts';
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
  const rng = mulberry32(1);
  const cats = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const now = Date.now();
  const batches: string[] = [];
  for (let b = 0; b < total / batchSize; b++) {
    const lines: string[] = [];
    for (let i = 0; i < batchSize; i++) {
      const features: Record<string, number | string> = {};
      for (let f = 0; f < 10; f++) features[`n${f}`] = Math.round(rng.next() * 1000 * (f + 1)) / 10;
      for (let f = 0; f < 5; f++) features[`c${f}`] = cats[Math.floor(rng.next() * cats.length)] as string;
      lines.push(JSON.stringify({
        model: 'bench', version: '1.0.0', requestId: `r${b}-${i}`, time: new Date(now - 300_000 + ((b * batchSize + i) % 240_000)).toISOString(),
        features, score: rng.next(), latencyMs: rng.next() * 20, groups: { sex: i % 2 ? 'F' : 'M' },
      }));
    }
    batches.push(lines.join('\n'));
  }
  const bytes = batches.reduce((s, b) => s + b.length, 0);
  const monitoring = h.services.monitoring.service;

  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let lastCpu = 0;
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
    let accepted = 0;
    for (const b of batches) accepted += (await monitoring.ingest(b)).accepted;
    lastUnflushed = monitoring.pending.unflushed;
    const f = performance.now();
    await monitoring.flush();
    lastFlush = (performance.now() - f) / 1000;
    if (accepted !== total) throw new Error(`ingest accepted ${accepted} of ${total}`);
    lastCpu = cpuSeconds() - c;
    return (performance.now() - t) / 1000;
  };

  anchor(); // warm-up
  const loadBefore = loadavg();
  const a = anchor();
  const aCpu = lastCpu;
  const memBefore = await retained();
  const s = await ingest(); // first run: every request id is new
  const sCpu = lastCpu;
  const memAfter = await retained();
  console.log(`events: ${total} x 15 features, ${(bytes / 1e6).toFixed(1)} MB NDJSON, batches of ${batchSize}`);
  console.log(`JSON.parse and discard : ${(total / a).toFixed(0).padStart(9)} events/s (${a.toFixed(3)} s; CPU ${aCpu.toFixed(3)} s)`);
  console.log(`steward ingest (+flush): ${(total / s).toFixed(0).padStart(9)} events/s (${s.toFixed(3)} s; CPU ${sCpu.toFixed(3)} s = ${(total / sCpu).toFixed(0)} events per CPU-second)`);
  console.log(`  of which the final flush: ${lastFlush.toFixed(3)} s (window merges and ${lastUnflushed} pending predictions written in bulk; an early flush wrote the first ${total - lastUnflushed})`);
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`  memory the ingest keeps (after a full GC; ${monitoring.pending.pending} predictions held for their labels): heap +${mib(memAfter.heap - memBefore.heap)} MiB, array buffers +${mib(memAfter.buffers - memBefore.buffers)} MiB`);
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`load average: ${fmt(loadBefore)} before, ${fmt(loadavg())} after (2 cores: wall-clock figures above ~1.5 are not comparable; CPU times are)`);
  console.log(`ratio: ingest takes ${(s / a).toFixed(2)}x the bare parse (CPU: ${(sCpu / aCpu).toFixed(2)}x); target >= 100000 events/s: ${total / s >= 100_000 ? 'met' : 'NOT met'}`);
} finally {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
}
