/**
 * Monitoring ingest over HTTP: the same 15-feature prediction events as monitoring-ingest.bench.ts,
 * POSTed as NDJSON batches to `/api/v1/events` of a real `steward serve` process (its own process,
 * SQLite, a socket on loopback), `inflight` batches at a time — what an SDK or agent fleet does.
 * Anchor, in the same run: the same NDJSON parsed with JSON.parse and discarded in this process.
 * Printed: events/s end to end (until the last answer), the server's CPU seconds (/proc, Linux)
 * and this sender's, and the load average. Target (issue #6): >= 100k events/s.
 * Run: node --import tsx bench/monitoring-ingest-http.bench.ts [events=200000] [batch=2000] [inflight=4]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBatches } from './monitoring-events.ts';
import { spawnServe } from '../packages/cli/src/testing/serve-process.ts';

const total = Number(process.argv[2] ?? 200_000);
const batchSize = Number(process.argv[3] ?? 2000);
const inflight = Number(process.argv[4] ?? 4);
const root = fileURLToPath(new URL('..', import.meta.url));
const steward = join(root, 'packages/cli/bin/steward.js');
const dir = mkdtempSync(join(tmpdir(), 'steward-ingest-http-'));
const data = join(dir, 'data');
const env = { ...process.env, STEWARD_DATA: data };
const server = await spawnServe(steward, dir, env);
/** utime + stime of a process in seconds (Linux /proc; NaN elsewhere). */
const cpuOf = (pid: number): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
};
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let posted = 0;
try {
  const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [steward, ...args], { cwd: dir, env: { ...env, STEWARD_URL: server.url, STEWARD_TOKEN: token }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`steward ${args.join(' ')}: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'model.bin'), 'weights');
  cli('model', 'create', 'bench');
  cli('push', 'bench', '1.0.0', join(dir, 'model.bin'));

  const now = Date.now();
  const makeRun = (run: number) => makeBatches(total, batchSize, now, `r${run}-`);
  let warned = false;
  const post = async (body: string): Promise<number> => {
    posted++;
    const r = await fetch(`${server.url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body });
    if (r.status !== 200) throw new Error(`POST /events: ${r.status} ${await r.text()}`);
    const res = (await r.json()) as { accepted: number; rejected?: unknown };
    if (res.accepted !== batchSize && !warned) {
      warned = true;
      console.error(`a batch was not wholly accepted: ${JSON.stringify(res).slice(0, 400)}`);
    }
    return res.accepted;
  };
  const send = async (batches: string[]) => {
    const t = performance.now();
    const s0 = cpuOf(server.child.pid!);
    const c0 = selfCpu();
    let next = 0;
    let accepted = 0;
    await Promise.all(Array.from({ length: inflight }, async () => {
      while (next < batches.length) {
        const n = await post(batches[next++]!); // not `accepted += await …`: that reads `accepted` before the await
        accepted += n;
      }
    }));
    if (accepted !== total) throw new Error(`accepted ${accepted} of ${total}`);
    return { s: (performance.now() - t) / 1000, serverCpu: cpuOf(server.child.pid!) - s0, senderCpu: selfCpu() - c0 };
  };
  const anchor = (batches: string[]) => {
    const t = performance.now();
    let n = 0;
    for (const b of batches) for (const line of b.split('\n')) if (JSON.parse(line)) n++;
    if (n !== total) throw new Error('anchor miscounted');
    return (performance.now() - t) / 1000;
  };

  await send(makeRun(0)); // warm-up: JIT, the ingest worker, the first windows
  const batches = makeRun(1);
  const bytes = batches.reduce((s, b) => s + b.length, 0);
  anchor(batches);
  const loadBefore = loadavg();
  const a = anchor(batches);
  const r = await send(batches);
  console.log(`events: ${total} x 15 features, ${(bytes / 1e6).toFixed(1)} MB NDJSON, batches of ${batchSize}, ${inflight} in flight, to ${server.url}`);
  console.log(`JSON.parse and discard   : ${(total / a).toFixed(0).padStart(9)} events/s (${a.toFixed(3)} s)`);
  console.log(`POST /api/v1/events      : ${(total / r.s).toFixed(0).padStart(9)} events/s (${r.s.toFixed(3)} s; server CPU ${r.serverCpu.toFixed(2)} s = ${(total / r.serverCpu).toFixed(0)} events per server CPU-second; sender CPU ${r.senderCpu.toFixed(2)} s)`);
  const fmt = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`load average: ${fmt(loadBefore)} before, ${fmt(loadavg())} after (2 cores: wall-clock figures above ~1.5 are not comparable; CPU times are)`);
  console.log(`ratio: ${(r.s / a).toFixed(2)}x the bare parse; target >= 100000 events/s over HTTP: ${total / r.s >= 100_000 ? 'met' : 'NOT met'}`);
} catch (err) {
  console.error(`after ${posted} POSTs; server (exit code ${server.child.exitCode}, signal ${server.child.signalCode}) output:\n${server.stderr().slice(-3000)}`);
  throw err;
} finally {
  server.child.kill('SIGTERM');
  await new Promise((res) => server.child.once('exit', res));
  rmSync(dir, { recursive: true, force: true });
}
