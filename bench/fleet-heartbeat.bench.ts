/**
 * Fleet heartbeats against a real server on loopback: N simulated nodes heartbeat round-robin at a
 * bounded total rate for a bounded time; a third of the way in, the channel moves 1.0.0 → 1.1.0 and each
 * node "installs" 1.1.0 as soon as an answer lists it missing. Prints heartbeat p50/p99 latency,
 * throughput, peak server RSS, and blocks from the quorum decision to every live node serving the
 * new table. Runs on SQLite, and on PostgreSQL when STEWARD_BENCH_PG_URL is set.
 *
 * The anchor, measured in the same run, is `GET /healthz` on the same server: the HTTP floor.
 *
 *   node --import tsx bench/fleet-heartbeat.bench.ts                 # 1,000 nodes, 100/s, 20 s
 *   STEWARD_LONG=1 node --import tsx bench/fleet-heartbeat.bench.ts  # 10,000 nodes, 2,000/s, 2 min
 *   STEWARD_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres node --import tsx bench/fleet-heartbeat.bench.ts
 *   STEWARD_BENCH_NODES / _RATE / _SECONDS / _WARMUP / _LONGPOLL override the sizes (see below);
 *   STEWARD_BENCH_SKIP_SQLITE=1 runs PostgreSQL only.
 *   STEWARD_BENCH_CPU_PROFILE=DIR writes the server's CPU profile of each timed run (warm-up and
 *   setup excluded) to DIR/fleet-<db>.cpuprofile, for Chrome DevTools or speedscope.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LONG = process.env.STEWARD_LONG === '1';
const NODES = Number(process.env.STEWARD_BENCH_NODES ?? (LONG ? 10_000 : 1_000));
const RATE = Number(process.env.STEWARD_BENCH_RATE ?? (LONG ? 2_000 : 100));
const SECONDS = Number(process.env.STEWARD_BENCH_SECONDS ?? (LONG ? 120 : 20));
/**
 * STEWARD_BENCH_WARMUP=1: every node sends one heartbeat (as fast as 64 connections go, not
 * measured) before the timed run, so the run measures a registered fleet's steady state instead of
 * N first heartbeats (each a full record). The long run warms up by default.
 */
const WARMUP = (process.env.STEWARD_BENCH_WARMUP ?? (LONG ? '1' : '0')) === '1';
/**
 * STEWARD_BENCH_LONGPOLL=K: nodes n0…n(K-1) also hold GET /nodes/{id}/desired?wait=30s as the agent
 * does, and on an answer heartbeat at once (twice: learn what is missing, then report it installed).
 * The run then compares how soon long-polling and heartbeat-only nodes learn of the pending table
 * and of the scheduled switch. Default 0 (heartbeats only).
 */
const LONGPOLL = Number(process.env.STEWARD_BENCH_LONGPOLL ?? 0);

interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  rps: number;
  p50ms: number;
  p99ms: number;
  anchorP50ms: number;
  anchorP99ms: number;
  /** Heartbeats that reported a new install, and their latency. */
  reports: number;
  reportP50ms: number;
  reportP99ms: number;
  /** Per node: first block whose answer had 1.1.0 in force (nodes that saw it). */
  servingBlocks: number[];
  usableFromBlock: number | null;
  /** Wall-clock ms at which each node first saw 1.1.0 pending / scheduled, by group. */
  learned: { pollPending: number[]; pollScheduled: number[]; beatPending: number[]; beatScheduled: number[] };
  polls: number;
  /** The load generator's own CPU time over the timed run, µs (it shares the cores with the server). */
  cpuUs: number;
}

/** Child: heartbeats at `rate`/s over keep-alive sockets; `digests` = {version: digest}. */
async function load(base: string, token: string, nodes: number, rate: number, seconds: number, digests: Record<string, string>, warmup: boolean, longPoll: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const lat: number[] = [];
  /** Heartbeats that report an install the node had not reported before (records, not touches). */
  const reportLat: number[] = [];
  const reported: number[] = new Array(nodes).fill(1);
  const anchor: number[] = [];
  const statuses: Record<string, number> = {};
  const installed: string[][] = Array.from({ length: nodes }, () => ['1.0.0']);
  const serving: (number | undefined)[] = new Array(nodes);
  let usableFromBlock: number | null = null;
  let errors = 0;
  const pendingAt: (number | undefined)[] = new Array(nodes);
  const scheduledAt: (number | undefined)[] = new Array(nodes);
  const etags: (string | undefined)[] = new Array(nodes);
  type Channel = { pending: { table: { stable: string } } | null; history: { table: { stable: string }; usableFromBlock: number }[] };
  const note = (i: number, ch: Channel) => {
    const sw = ch.history.find((x) => x.table.stable === '1.1.0');
    if (ch.pending?.table.stable === '1.1.0' || sw) pendingAt[i] ??= Date.now();
    if (sw) scheduledAt[i] ??= Date.now();
  };
  const post = (path: string, body: unknown, report = false) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const data = JSON.stringify(body);
      // x-bench-report marks a heartbeat that reports a new install, for the server-side figures.
      const req = http.request(`${base}${path}`, { method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...(report ? { 'x-bench-report': '1' } : {}) } }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
      });
      req.on('error', () => resolve({ status: 0, body: '' }));
      req.end(data);
    });
  const get = (path: string) =>
    new Promise<void>((resolve) => {
      http
        .get(`${base}${path}`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        })
        .on('error', () => resolve());
    });
  let warming = false;
  const beat = async (i: number) => {
    const t = performance.now();
    const reports = installed[i]!.length !== reported[i];
    reported[i] = installed[i]!.length;
    const r = await post(`/api/v1/nodes/n${i}/heartbeat`, {
      channels: [{ model: 'bench', channel: 'prod' }],
      installed: installed[i]!.map((v) => ({ model: 'bench', version: v, digest: digests[v] })),
      profile: { platform: 'linux', arch: 'x64' },
      appVersion: '1.0.0',
    }, reports);
    if (warming) {
      if (r.status !== 200) throw new Error(`warm-up heartbeat: ${r.status} ${r.body}`);
      return;
    }
    lat.push(performance.now() - t);
    if (reports) reportLat.push(performance.now() - t);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status !== 200) return void errors++;
    const a = JSON.parse(r.body) as { currentBlock: number; etag: string; channels: (Channel & { inForce: { stable: string } | null; missing: string[] })[] };
    const ch = a.channels[0]!;
    note(i, ch);
    etags[i] ??= a.etag;
    for (const v of ch.missing) if (!installed[i]!.includes(v)) installed[i]!.push(v); // "installed" by the next heartbeat
    const sw = ch.history.find((x) => x.table.stable === '1.1.0');
    if (sw) usableFromBlock = sw.usableFromBlock;
    if (ch.inForce?.stable === '1.1.0' && serving[i] === undefined) serving[i] = a.currentBlock;
  };
  if (warmup) {
    warming = true;
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < nodes) await beat(next++);
    }));
    warming = false;
  }
  process.send?.('warm');
  const cpu0 = process.cpuUsage();
  // Long-polling nodes: a held GET each, on sockets of their own (as many as nodes poll).
  const lpAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  let done = false;
  let polls = 0;
  const poll = (i: number) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const since = etags[i] ? `&since=${encodeURIComponent(etags[i]!)}` : '';
      http
        .get(`${base}/api/v1/nodes/n${i}/desired?wait=30s${since}`, { agent: lpAgent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        })
        .on('error', () => resolve({ status: 0, body: '' }));
    });
  const pollers = Array.from({ length: Math.min(longPoll, nodes) }, async (_, i) => {
    while (!done) {
      const r = await poll(i);
      polls++;
      if (r.status === 200) {
        const a = JSON.parse(r.body) as { etag: string; channels: Channel[] };
        const known = etags[i] !== undefined;
        etags[i] = a.etag;
        note(i, a.channels[0]!);
        if (known && !done) {
          await beat(i); // learn what is missing ("installed" at once)
          await beat(i); // report it: it may complete the quorum
        }
      } else if (r.status !== 304 && !done) await new Promise((res) => setTimeout(res, 1000));
    }
  });
  const t0 = performance.now();
  let sent = 0;
  const inflight = new Set<Promise<void>>();
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    while (sent < due && inflight.size < 256) {
      const p = beat(sent % nodes).finally(() => inflight.delete(p));
      inflight.add(p);
      sent++;
      if (sent % 50 === 0) {
        const ta = performance.now();
        const q = get('/healthz').then(() => void anchor.push(performance.now() - ta)).finally(() => inflight.delete(q));
        inflight.add(q);
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inflight);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  done = true;
  lpAgent.destroy();
  await Promise.all(pollers);
  agent.destroy();
  const group = (xs: (number | undefined)[], poll: boolean) => xs.filter((x, i): x is number => x !== undefined && i < longPoll === poll);
  const q = quantile;
  return { requests: lat.length, errors, statuses, rps: lat.length / secs, p50ms: q(lat, 0.5), p99ms: q(lat, 0.99), anchorP50ms: q(anchor, 0.5), anchorP99ms: q(anchor, 0.99), reports: reportLat.length, reportP50ms: q(reportLat, 0.5), reportP99ms: q(reportLat, 0.99), servingBlocks: serving.filter((x): x is number => x !== undefined), usableFromBlock, learned: { pollPending: group(pendingAt, true), pollScheduled: group(scheduledAt, true), beatPending: group(pendingAt, false), beatScheduled: group(scheduledAt, false) }, polls, cpuUs: cpu.user + cpu.system };
}

/** Runs the load generator; `onWarm` fires when the warm-up (if any) is over and the timed run starts. */
function runChild(url: string, token: string, digests: Record<string, string>, onWarm: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'load', url, token, String(NODES), String(RATE), String(SECONDS), JSON.stringify(digests), WARMUP ? '1' : '0', String(LONGPOLL)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    child.on('message', () => onWarm());
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function pgDatabase(base: string) {
  const pg = (await import('pg')).default;
  const name = `steward_bench_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: base });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

/** CPU profile of the server's thread between `start` and `stop` (no-op unless STEWARD_BENCH_CPU_PROFILE). */
function profiler(label: string) {
  const dir = process.env.STEWARD_BENCH_CPU_PROFILE;
  if (!dir) return { start: () => undefined, stop: async () => undefined };
  const session = new Session();
  session.connect();
  let started: Promise<unknown> | undefined;
  return {
    start: () => void (started = session.post('Profiler.enable').then(() => session.post('Profiler.start'))),
    async stop() {
      await started;
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `fleet-${label.toLowerCase()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`  CPU profile of the timed run: ${file}`);
    },
  };
}

/**
 * The server's event-loop stalls: a 5 ms timer notes every gap over 50 ms past its due time, with
 * the time into the run (to line up with block boundaries and the channel move) and the process's
 * CPU time over the gap. A gap mostly spent on the CPU is synchronous work (or GC) in the server; a
 * gap with little CPU is the process waiting for a core that other processes hold (on a shared
 * machine, or with PostgreSQL's and the load generator's processes on the same cores).
 */
function stallLog() {
  const stalls: { atS: number; ms: number; cpuMs: number }[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let t0 = 0;
  let last = 0;
  let lastCpu = process.cpuUsage();
  return {
    begin() {
      t0 = last = performance.now();
      lastCpu = process.cpuUsage();
      timer = setInterval(() => {
        const now = performance.now();
        const cpu = process.cpuUsage();
        if (now - last - 5 > 50) stalls.push({ atS: (last - t0) / 1000, ms: now - last - 5, cpuMs: (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000 });
        last = now;
        lastCpu = cpu;
      }, 5);
    },
    end() {
      clearInterval(timer);
      return stalls;
    },
  };
}

/**
 * CPU time of the PostgreSQL processes serving database `name` (backends and autovacuum workers,
 * found by their process title in /proc; Linux only, undefined elsewhere), sampled every 500 ms so
 * backends the pool closes mid-run still count. Shared processes (WAL writer, checkpointer) are not
 * included.
 */
function databaseCpu(name: string) {
  const tick = 100; // USER_HZ: /proc's clock ticks per second on Linux
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let starting = true;
  let running: Promise<void> = Promise.resolve();
  let scans = 0;
  // Asynchronous reads: the sampler must not hold up the server's event loop it shares.
  const sample = async () => {
    // The whole process list every 5 s (new backends), the known backends' counters every second.
    const rescan = scans++ % 5 === 0;
    const pids = rescan ? await readdir('/proc').then((ds) => ds.filter((d) => /^\d+$/.test(d)), () => []) : [...last.keys()].map(String);
    await Promise.all(
      pids.map(async (pid) => {
        try {
          if (rescan && !(await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(` ${name} `)) return;
          const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const us = ((Number(f[11]) + Number(f[12])) * 1e6) / tick;
          if (!first.has(Number(pid))) first.set(Number(pid), starting ? us : 0);
          last.set(Number(pid), us);
        } catch {
          // the process ended meanwhile
        }
      }),
    );
  };
  return {
    begin() {
      running = sample().then(() => void (starting = false));
      timer = setInterval(() => (running = running.then(sample)), 1000);
    },
    async end(): Promise<number | undefined> {
      clearInterval(timer);
      scans = 0;
      await (running = running.then(sample));
      if (last.size === 0) return undefined;
      let us = 0;
      for (const [pid, v] of last) us += v - (first.get(pid) ?? 0);
      return us;
    },
  };
}

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};

/**
 * Server-side latency: from the request's head parsed by Node's HTTP server to the response's last
 * byte handed to the socket, per request, in the server process (node:diagnostics_channel). Next to
 * the client's figures it separates the server's time from the load generator's scheduling and
 * the kernel's queues; it misses the time a request waits before the event loop reads it.
 */
function serverLatency() {
  const started = new WeakMap<object, number>();
  const heartbeat: number[] = [];
  const reports: number[] = [];
  const healthz: number[] = [];
  /** Heartbeat latencies by 5 s window of the run: where in the run the tail is. */
  const windows: number[][] = [];
  let t0 = 0;
  let on = false;
  const start = (m: unknown) => {
    if (on) started.set((m as { request: object }).request, performance.now());
  };
  const finish = (m: unknown) => {
    const { request } = m as { request: { url?: string; headers: Record<string, string | undefined> } };
    const t = started.get(request);
    if (t === undefined) return;
    const ms = performance.now() - t;
    if (request.url?.endsWith('/heartbeat')) {
      heartbeat.push(ms);
      if (request.headers['x-bench-report']) reports.push(ms);
      (windows[Math.floor((t - t0) / 5000)] ??= []).push(ms);
    }
    else if (request.url === '/healthz') healthz.push(ms);
  };
  diagnostics.subscribe('http.server.request.start', start);
  diagnostics.subscribe('http.server.response.finish', finish);
  return {
    begin: () => void ((on = true), (t0 = performance.now())),
    end() {
      on = false;
      diagnostics.unsubscribe('http.server.request.start', start);
      diagnostics.unsubscribe('http.server.response.finish', finish);
      return { heartbeat, reports, healthz, windows };
    },
  };
}

async function runOn(label: string, db: string | undefined) {
  const { startServer } = await import('../packages/server/src/server.ts');
  const { canonicalJson } = await import('@steward/core');
  const dir = mkdtempSync(join(tmpdir(), 'steward-fleet-bench-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'data'), quiet: true, ...(db ? { db } : {}) }, {});
  try {
    const admin = server.adminToken!;
    const api = async (method: string, path: string, body?: unknown, raw?: Uint8Array) => {
      const res = await fetch(`${server.url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(raw ? { 'content-length': String(raw.length) } : body ? { 'content-type': 'application/json' } : {}) }, ...(raw ? { body: raw as BodyInit } : body ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    await api('POST', 'models', { name: 'bench' });
    const digests: Record<string, string> = {};
    for (const v of ['1.0.0', '1.1.0']) {
      const bytes = new TextEncoder().encode(`bench weights ${v}`);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const draft = await api('POST', 'models/bench/drafts', { version: v });
      await api('PUT', `blobs/${sha}`, undefined, bytes);
      await api('PUT', `models/bench/drafts/${draft.id}/files`, { files: [{ path: 'model.onnx', sha256: sha, size: bytes.length }] });
      const ver = await api('POST', `models/bench/drafts/${draft.id}/commit`);
      digests[v] = createHash('sha256').update(canonicalJson(ver.manifest)).digest('hex');
    }
    await api('PUT', 'models/bench/channels/prod', { version: '1.0.0' });
    const token = (await api('POST', 'tokens', { name: 'bench-nodes', role: 'node' })).token as string;

    const dbCpu = db?.startsWith('postgres') ? databaseCpu(new URL(db).pathname.slice(1)) : undefined;
    let peakRss = process.memoryUsage.rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
    let mover: ReturnType<typeof setTimeout> | undefined;
    let movedAt: number | undefined;
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    const inServer = serverLatency();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    const stalls = stallLog();
    const prof = profiler(label);
    const r = await runChild(server.url, token, digests, () => {
      inServer.begin();
      dbCpu?.begin();
      loopDelay.enable();
      stalls.begin();
      prof.start();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      // A third of the way through, move the channel: the nodes pick it up from their answers, and
      // the rest of the run leaves room for quorum + activationDelay + one heartbeat cycle.
      mover = setTimeout(() => {
        movedAt = Date.now();
        void api('PUT', 'models/bench/channels/prod', { version: '1.1.0' }).catch((e) => console.error(e));
      }, (SECONDS * 1000) / 3);
    });
    const cpu = process.cpuUsage(cpu0);
    const wallS = (performance.now() - t0) / 1000;
    const served = inServer.end();
    const dbCpuUs = await dbCpu?.end();
    loopDelay.disable();
    const stalled = stalls.end();
    const stopProfile = prof.stop();
    clearInterval(sampler);
    clearTimeout(mover);
    const decided = r.usableFromBlock === null ? null : r.usableFromBlock - 10;
    const last = r.servingBlocks.length ? Math.max(...r.servingBlocks) : null;
    const cycleBlocks = Math.ceil(NODES / RATE);
    console.log(`\n${label}: ${NODES} nodes, ${RATE}/s for ${SECONDS} s${WARMUP ? ' (after one warm-up heartbeat per node)' : ''}`);
    console.log(`  heartbeats ${r.requests} (${r.rps.toFixed(0)}/s), errors ${r.errors} ${JSON.stringify(r.statuses)}`);
    console.log(`  heartbeat p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms; anchor GET /healthz p50 ${r.anchorP50ms.toFixed(2)} ms, p99 ${r.anchorP99ms.toFixed(2)} ms; ratio p50 ${(r.p50ms / r.anchorP50ms).toFixed(1)}x`);
    const ms = (xs: number[], p: number) => `${quantile(xs, p).toFixed(2)} ms`;
    console.log(`  in the server (request head parsed → response end): heartbeat p50 ${ms(served.heartbeat, 0.5)}, p99 ${ms(served.heartbeat, 0.99)}, max ${ms(served.heartbeat, 1)}; /healthz p50 ${ms(served.healthz, 0.5)}, p99 ${ms(served.healthz, 0.99)}`);
    console.log(`  in the server, heartbeat p99 by 5 s window (ms): ${served.windows.map((w) => quantile(w ?? [], 0.99).toFixed(0)).join(' ')}`);
    console.log(`  heartbeats reporting a new install: ${r.reports}, client p50 ${r.reportP50ms.toFixed(2)} ms, p99 ${r.reportP99ms.toFixed(2)} ms; in the server p50 ${ms(served.reports, 0.5)}, p99 ${ms(served.reports, 0.99)}, max ${ms(served.reports, 1)}`);
    const ld = (p: number) => (loopDelay.percentile(p) / 1e6).toFixed(1);
    const byCpu = [...stalled].sort((a, b) => b.cpuMs - a.cpuMs);
    const show = (xs: typeof stalled) => xs.slice(0, 5).map((x) => `${x.ms.toFixed(0)} ms/${x.cpuMs.toFixed(0)} ms CPU at ${x.atS.toFixed(1)} s`).join(', ');
    console.log(`  server event-loop delay (10 ms resolution, so ~10 ms is no delay) p50 ${ld(50)}, p99 ${ld(99)}, max ${(loopDelay.max / 1e6).toFixed(1)} ms; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`  stalls over 50 ms: ${stalled.length} (${stalled.filter((x) => x.cpuMs >= 0.7 * (x.ms + 5)).length} of them ≥ 70 % on the CPU: the server's own work; the rest mostly waiting for a core); most CPU in a stall: ${show(byCpu)}; longest: ${show([...stalled].sort((a, b) => b.ms - a.ms))}`);
    console.log(`  peak server RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    // CPU time is what contention does not inflate much: it bounds the rate one server core sustains.
    const cpuUs = (cpu.user + cpu.system) / r.requests;
    console.log(`  server CPU ${((cpu.user + cpu.system) / 1e3 / wallS).toFixed(0)} ms/s = ${cpuUs.toFixed(0)} µs per heartbeat (HTTP, JSON, SQL client; a database server's own CPU not included) → one core sustains ~${(1e6 / cpuUs).toFixed(0)}/s`);
    if (dbCpuUs !== undefined) console.log(`  PostgreSQL CPU (its processes serving the bench database) ${(dbCpuUs / 1e3 / wallS).toFixed(0)} ms/s = ${(dbCpuUs / r.requests).toFixed(0)} µs per heartbeat (same cores)`);
    console.log(`  load generator CPU ${(r.cpuUs / 1e3 / wallS).toFixed(0)} ms/s = ${(r.cpuUs / r.requests).toFixed(0)} µs per heartbeat (same cores)`);
    console.log(
      decided === null
        ? '  the transition was not scheduled within the run (raise STEWARD_BENCH_SECONDS)'
        : `  quorum decided at block ${decided}, switch at ${r.usableFromBlock}; ${r.servingBlocks.length}/${NODES} nodes saw 1.1.0 in force, the last at block ${last} = quorum + ${last === null ? '-' : last - decided} blocks (one heartbeat cycle is ~${cycleBlocks} blocks)`,
    );
    if (LONGPOLL > 0) {
      const L = r.learned;
      const firstScheduled = Math.min(...L.pollScheduled, ...L.beatScheduled);
      const stats = (xs: number[], from: number | undefined, of: number) => {
        if (from === undefined || !Number.isFinite(from) || xs.length === 0) return `none of ${of}`;
        const d = xs.map((x) => x - from).sort((a, b) => a - b);
        return `p50 ${d[Math.floor(d.length / 2)]} ms, max ${d[d.length - 1]} ms (${xs.length}/${of} nodes)`;
      };
      const polled = Math.min(LONGPOLL, NODES);
      console.log(`  long-poll: ${polled} nodes held GET /desired (${r.polls} answers, incl. 30 s timeouts)`);
      console.log(`  learned of the pending table after the move:     long-poll ${stats(L.pollPending, movedAt, polled)}; heartbeat only ${stats(L.beatPending, movedAt, NODES - polled)}`);
      console.log(`  learned of the switch after the first node did:  long-poll ${stats(L.pollScheduled, firstScheduled, polled)}; heartbeat only ${stats(L.beatScheduled, firstScheduled, NODES - polled)}`);
    }
    await stopProfile;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  if (process.env.STEWARD_BENCH_SKIP_SQLITE !== '1') await runOn('SQLite', undefined);
  const pgBase = process.env.STEWARD_BENCH_PG_URL;
  if (pgBase) {
    const pg = await pgDatabase(pgBase);
    try {
      await runOn('PostgreSQL', pg.url);
    } finally {
      await pg.drop();
    }
  } else console.log('\n(PostgreSQL skipped: set STEWARD_BENCH_PG_URL)');
}

if (process.argv[2] === 'load') {
  const [, , , url, token, nodes, rate, seconds, digests, warmup, longPoll] = process.argv;
  load(url!, token!, Number(nodes), Number(rate), Number(seconds), JSON.parse(digests!) as Record<string, string>, warmup === '1', Number(longPoll)).then((r) => {
    process.stdout.write(JSON.stringify(r));
    process.disconnect?.();
  });
} else {
  main().then(
    () => process.exit(0), // other features' timers may still hold the loop; the run is over
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
