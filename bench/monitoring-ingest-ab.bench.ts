/**
 * Ingest worker on vs off, interleaved: each round ingests the same NDJSON batches (see
 * monitoring-events.ts) into two fresh servers in this process, one with the ingest worker and one
 * without, in alternating order, and prints wall time, process CPU, main-thread CPU and the worker
 * thread's CPU per run, with the load average. On a shared machine compare CPU, and the worker's
 * critical path: wall ≈ max(main-thread CPU, worker CPU) when both run unhindered.
 * Run: node --import tsx bench/monitoring-ingest-ab.bench.ts [rounds=3] [events=200000] [batch=2000] [workerShare]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness } from '../packages/server/src/testing/api-harness.ts';
import { mainThreadSeconds, makeBatches } from './monitoring-events.ts';

const rounds = Number(process.argv[2] ?? 3);
const total = Number(process.argv[3] ?? 200_000);
const batchSize = Number(process.argv[4] ?? 2000);
const share = process.argv[5] === undefined ? undefined : Number(process.argv[5]);
const now = Date.now();
const batches = makeBatches(total, batchSize, now);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function run(worker: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'steward-ingest-ab-'));
  const h = await startHarness(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await h.call('POST', 'models', { json: { name: 'bench' } });
    const pushed = await h.push('bench', '1.0.0', { 'model.bin': 'weights' });
    if (pushed.status !== 201) throw new Error(`push failed: ${pushed.text}`);
    const m = h.services.monitoring.service;
    m.config.ingestWorker = worker;
    if (share !== undefined) m.config.workerShare = share;
    const offload = await m.ingestWorkerReady();
    const load = loadavg()[0]!;
    const w0 = (await offload?.workerCpuSeconds()) ?? 0; // asked now: the last answer's figure would include the worker's start-up
    const t = performance.now();
    const c = cpu();
    const mc = mainThreadSeconds(readFileSync);
    let accepted = 0;
    for (const b of batches) accepted += (await m.ingest(b)).accepted;
    await m.flush();
    const wall = (performance.now() - t) / 1000;
    if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
    const endCpu = cpu() - c;
    const endMain = mainThreadSeconds(readFileSync) - mc;
    return { wall, cpu: endCpu, main: endMain, worker: ((await offload?.workerCpuSeconds()) ?? 0) - w0, load };
  } finally {
    await h.services.monitoring.service.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${total} events x 15 features, batches of ${batchSize}${share !== undefined ? `, worker share ${share}` : ''}; ${rounds} rounds, order alternating`);
console.log('run           wall s  events/s  CPU s  main-thread CPU s  worker CPU s  load(1m)');
await run(true); // warm-up of both paths' code
await run(false);
const sums: Record<'on' | 'off', { cpu: number; main: number; wall: number }> = { on: { cpu: 0, main: 0, wall: 0 }, off: { cpu: 0, main: 0, wall: 0 } };
for (let r = 0; r < rounds; r++) {
  for (const worker of r % 2 ? [false, true] : [true, false]) {
    const x = await run(worker);
    const k = worker ? 'on' : 'off';
    sums[k].cpu += x.cpu;
    sums[k].main += x.main;
    sums[k].wall += x.wall;
    console.log(`${`worker ${k}`.padEnd(12)} ${x.wall.toFixed(2).padStart(6)} ${(total / x.wall).toFixed(0).padStart(9)} ${x.cpu.toFixed(2).padStart(6)} ${x.main.toFixed(2).padStart(18)} ${(worker ? x.worker.toFixed(2) : '-').padStart(13)} ${x.load.toFixed(2).padStart(9)}`);
  }
}
const f = (k: 'on' | 'off') => `CPU ${(sums[k].cpu / rounds).toFixed(2)} s, main thread ${(sums[k].main / rounds).toFixed(2)} s, wall ${(sums[k].wall / rounds).toFixed(2)} s`;
console.log(`mean: worker on ${f('on')}; worker off ${f('off')}; main-thread CPU on/off ${(sums.on.main / sums.off.main).toFixed(2)}`);
