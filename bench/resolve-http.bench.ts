/**
 * HTTP resolve throughput: `GET /api/v1/resolve` (auth, channel table and active rollout read from
 * SQLite, sticky routing, file list) against an anchor measured in the same run — a bare Hono
 * route on the same Node HTTP server stack that returns the same JSON body without doing anything.
 * The ratio says what Steward's work per request costs on top of the HTTP floor.
 *
 * Load comes from a second process on loopback (autocannon is not a dependency): a small
 * generator with node:http keep-alive agents, bounded by request count and by time.
 *
 *   node --import tsx bench/resolve-http.bench.ts
 *   STEWARD_BENCH_REQUESTS=20000 STEWARD_BENCH_CONNECTIONS=32 node --import tsx bench/resolve-http.bench.ts
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LoadResult {
  url: string;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

/** Child mode: fire `total` GETs over `connections` keep-alive sockets, stop early after `maxMs`. */
async function load(base: string, token: string, total: number, connections: number, maxMs: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = http.get(`${base}&unit=user-${i}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          lat.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const worker = async () => {
    while (next < total && performance.now() - t0 < maxMs) await one(next++);
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? Number.NaN;
  return { url: base, requests: lat.length, errors, seconds, rps: lat.length / seconds, p50ms: q(0.5), p99ms: q(0.99) };
}

function runChild(url: string, token: string, total: number, connections: number, maxMs: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'load', url, token, String(total), String(connections), String(maxMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const { serve } = await import('@hono/node-server');
  const { Hono } = await import('hono');
  const { startHarness } = await import('../packages/server/src/testing/api-harness.ts');
  const TOTAL = Number(process.env.STEWARD_BENCH_REQUESTS ?? 20_000);
  const CONNECTIONS = Number(process.env.STEWARD_BENCH_CONNECTIONS ?? 16);
  const MAX_MS = Number(process.env.STEWARD_BENCH_MAX_MS ?? 15_000);
  const dir = mkdtempSync(join(tmpdir(), 'steward-resolve-bench-'));
  const h = await startHarness(`sqlite:${join(dir, 'db.sqlite')}`);
  try {
    await h.call('POST', 'models', { json: { name: 'ranker' } });
    await h.push('ranker', '1.0.0', { 'model.onnx': 'a'.repeat(1000) });
    await h.push('ranker', '1.1.0', { 'model.onnx': 'b'.repeat(1000), 'variants/int8/model.onnx': 'c'.repeat(500) });
    await h.call('PUT', 'models/ranker/channels/production', { json: { version: '1.0.0' } });
    const started = await h.call('POST', 'models/ranker/channels/production/rollouts', {
      json: { version: '1.1.0', steps: [{ weight: 25 }, { pause: null }], platformVariants: { android: 'int8' }, constraints: [{ attribute: 'region', op: 'notIn', value: ['cn'] }], download: { android: { unmeteredOnly: true } } },
    });
    if (started.status !== 201) throw new Error(`could not start the rollout: ${started.text}`);
    const query = 'model=ranker&channel=production&platform=android&region=eu';
    const sample = (await h.call('GET', `resolve?${query}&unit=user-1`)).text;

    const steward = await new Promise<ReturnType<typeof serve>>((r) => {
      const s = serve({ fetch: h.app.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s));
    });
    const bare = new Hono();
    bare.get('/api/v1/resolve', (c) => c.body(sample, 200, { 'content-type': 'application/json' }));
    const anchor = await new Promise<ReturnType<typeof serve>>((r) => {
      const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s));
    });
    const at = (s: ReturnType<typeof serve>) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/resolve?${query}`;

    console.log(`resolve over HTTP: ${TOTAL} requests per run (max ${MAX_MS / 1000}s), ${CONNECTIONS} keep-alive connections, load from a second process`);
    const results: Record<'steward' | 'anchor', LoadResult[]> = { steward: [], anchor: [] };
    await runChild(at(anchor), h.admin, Math.min(TOTAL, 2000), CONNECTIONS, MAX_MS); // warm-up
    await runChild(at(steward), h.admin, Math.min(TOTAL, 2000), CONNECTIONS, MAX_MS);
    for (let round = 0; round < 2; round++) {
      results.anchor.push(await runChild(at(anchor), h.admin, TOTAL, CONNECTIONS, MAX_MS));
      results.steward.push(await runChild(at(steward), h.admin, TOTAL, CONNECTIONS, MAX_MS));
    }
    const best = (xs: LoadResult[]) => xs.reduce((a, b) => (b.rps > a.rps ? b : a));
    for (const [name, xs] of Object.entries(results)) {
      const b = best(xs);
      console.log(`  ${name.padEnd(8)} ${b.rps.toFixed(0).padStart(7)} req/s  p50 ${b.p50ms.toFixed(2)} ms  p99 ${b.p99ms.toFixed(2)} ms  errors ${xs.reduce((s, x) => s + x.errors, 0)}`);
    }
    console.log(`  ratio steward / bare route: ${(best(results.steward).rps / best(results.anchor).rps).toFixed(3)}`);
    await new Promise<void>((r) => steward.close(() => r()));
    await new Promise<void>((r) => anchor.close(() => r()));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'load') {
  const [, , , url, token, total, connections, maxMs] = process.argv;
  load(url!, token!, Number(total), Number(connections), Number(maxMs)).then((r) => process.stdout.write(JSON.stringify(r)));
} else {
  await main();
}
