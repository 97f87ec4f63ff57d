// Chunked storage, in one run, as ratios against anchors measured on the same machine and files:
//   ingest MiB/s of a model series through push vs `openssl dgst -sha256` and vs `restic backup`;
//   stored bytes vs the sum of file sizes, restic's repo, and the floor (changed tensor bytes);
//   delta pull bytes per step vs `zstd --patch-from` patch size, pull time vs patch-apply time;
//   peak RSS of push and pull of one big file (512 MiB; 4 GiB with STEWARD_LONG=1), client and server.
// Run: node --import tsx bench/storage.bench.ts   (STEWARD_BENCH_MIB=256 by default;
//   STEWARD_BENCH_ONLY=memory runs only the memory case, STEWARD_BENCH_ONLY=ingest only the anchors and the push;
//   STEWARD_BENCH_ROUNDS=N ingest rounds, default 2; STEWARD_BENCH_PIN=1 runs the push with the client on
//   CPU 0 and the server on CPU 1, a stand-in for two machines: each side gets a core of its own)
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StewardClient } from '@steward/client';
import { pullVersion, pushVersion } from '@steward/client/node';
import { spawnServer } from '../packages/server/src/testing/child-server.ts';

const MiB = 1024 * 1024;
const self = fileURLToPath(import.meta.url);

/** Child mode: one push or pull of one file, then print peak RSS (this process only). */
async function memChild(): Promise<void> {
  const [, , , mode, url, token, file, out] = process.argv as string[];
  const client = new StewardClient({ url: url!, token: token! });
  const t0 = performance.now();
  if (mode === 'push') await pushVersion(client, { model: 'mem', version: '1.0.0', paths: [file!], digests: null });
  else await pullVersion(client, { model: 'mem', ref: '1.0.0', outDir: out!, home: join(out!, '..', 'home'), cacheDir: join(out!, '..', 'cache') });
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutS?: number } = {}): string {
  return execFileSync(cmd, args, { env: opts.env ?? process.env, timeout: (opts.timeoutS ?? 1800) * 1000, maxBuffer: 64 * MiB }).toString();
}
const timed = async <T>(f: () => T | Promise<T>): Promise<[number, T]> => {
  const s = performance.now();
  const r = await f();
  return [(performance.now() - s) / 1000, r];
};
const duBytes = (p: string): number => Number(sh('du', ['-sb', p]).split('\t')[0]);
const fmt = (b: number): string => `${(b / MiB).toFixed(2)} MiB`;

interface SeriesVersion { version: string; parent: string | null; file: string; bytes: number; changed_tensor_bytes: number }

async function main(): Promise<void> {
  const mib = Number(process.env.STEWARD_BENCH_MIB ?? 256);
  const long = process.env.STEWARD_LONG === '1';
  const watchdog = setTimeout(() => {
    console.error('storage bench: over its time budget, stopping');
    process.exit(2);
  }, (long ? 90 : 30) * 60_000);
  watchdog.unref();
  const dir = mkdtempSync(join(process.env.STEWARD_BENCH_DIR ?? tmpdir(), 'steward-storage-'));
  try {
    const only = process.env.STEWARD_BENCH_ONLY;
    if (only !== 'memory') await seriesCases(dir, mib, only === 'ingest');
    if (only !== 'ingest') await memoryCase(dir, long ? 4096 : 512);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds a process has used so far, user and system, from /proc (Linux). */
function cpuTimes(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // utime, stime in clock ticks (USER_HZ = 100)
}

/** CPU seconds (user + system) between two cpuTimes readings. */
const cpuBetween = (a: { user: number; system: number }, b: { user: number; system: number }): number => b.user + b.system - a.user - a.system;

async function seriesCases(dir: string, mib: number, ingestOnly: boolean): Promise<void> {
  const seriesDir = join(dir, 'series');
  sh(join(process.cwd(), '..', 'shared', 'bench', 'make-model-series'), [seriesDir, '--mib', String(mib)]);
  const series = (JSON.parse(readFileSync(join(seriesDir, 'series.json'), 'utf8')) as { versions: SeriesVersion[] }).versions;
  const total = series.reduce((n, v) => n + v.bytes, 0);
  const floor = series.reduce((n, v) => n + v.changed_tensor_bytes, 0);
  sh('sync', []);
  console.log(`series: ${series.length} versions, ${fmt(total)} in all, floor ${fmt(floor)} (--mib ${mib})`);

  // Ingest, in rounds: each round times openssl, restic (fresh repository) and a push (fresh
  // server) back to back, so all three meet the machine in the same state; the ratios use each
  // one's fastest round (the least disturbed on a shared VM), and every round is printed.
  const rounds = Math.max(1, Number(process.env.STEWARD_BENCH_ROUNDS ?? 2));
  const rate = (s: number) => total / MiB / s;
  const userSys = (c: { user: number; system: number }) => `${(c.user + c.system).toFixed(1)} s (user ${c.user.toFixed(1)}, system ${c.system.toFixed(1)})`;
  console.log('\n## ingest (whole series)');
  const runs: IngestRound[] = [];
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    for (let r = 1; r <= rounds; r++) {
      if (server) {
        await server.kill();
        rmSync(join(dir, `server-${r - 1}`), { recursive: true, force: true });
      }
      const round = await ingestRound(dir, r, series.map((v) => ({ version: v.version, file: join(seriesDir, v.file) })));
      server = round.server;
      runs.push(round);
      console.log(
        `round ${r}: openssl ${rate(round.shaS).toFixed(0)} MiB/s, restic ${round.restic ? `${rate(round.restic.s).toFixed(0)} MiB/s` : 'skipped'}, push ${rate(round.pushS).toFixed(0)} MiB/s; ` +
          `push CPU: client ${userSys(round.clientCpu)}, server ${userSys(round.serverCpu)}, wall ${round.pushS.toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n  per version: ${round.perVersion}`,
      );
    }
    if (!server) throw new Error('no ingest round ran');
    const best = (xs: (number | undefined)[]) => Math.min(...xs.filter((x): x is number => x !== undefined));
    const shaS = best(runs.map((x) => x.shaS));
    const resticRuns = runs.filter((x) => x.restic);
    const resticS = resticRuns.length ? best(resticRuns.map((x) => x.restic!.s)) : undefined;
    const pushS = best(runs.map((x) => x.pushS));
    console.log(`fastest of ${rounds} round(s):`);
    console.log(`openssl dgst -sha256   ${rate(shaS).toFixed(0).padStart(6)} MiB/s`);
    if (resticS !== undefined) console.log(`restic backup          ${rate(resticS).toFixed(0).padStart(6)} MiB/s`);
    console.log(`steward push           ${rate(pushS).toFixed(0).padStart(6)} MiB/s   = ${(rate(pushS) / rate(shaS)).toFixed(2)} x sha256${resticS !== undefined ? `, ${(rate(pushS) / rate(resticS)).toFixed(2)} x restic` : ''}`);
    // The SHA-256 a push must do under the issue's rules: the client hashes every byte twice (chunk
    // ids, the file's digest), the server every new chunk and every file again. Even with both cores
    // doing nothing else, all the time, at openssl's speed, that caps the ratio to openssl here.
    const shaBytes = 3 * total + runs[0]!.uploaded;
    console.log(`ceiling: ${fmt(shaBytes)} of SHA-256 on ${availableParallelism()} cores at openssl's speed, nothing else = ${((total * availableParallelism()) / shaBytes).toFixed(2)} x sha256`);
    const client = new StewardClient({ url: server.url, token: server.token });
    const stats = await (await fetch(`${server.url}/api/v1/storage/stats`, { headers: { authorization: `Bearer ${server.token}` } })).json() as { storedBytes: number; logicalBytes: number };
    const restic = resticRuns.at(-1)?.restic;
    const target = floor * 1.02 + series.length * 256 * 1024;
    console.log('\n## stored bytes');
    console.log(`sum of files ${fmt(total)}; floor ${fmt(floor)}; target ≤ ${fmt(target)}`);
    if (restic) console.log(`restic repo  ${fmt(restic.stored)}  (${(restic.stored / floor).toFixed(3)} x floor)`);
    console.log(`steward      ${fmt(stats.storedBytes)}  (${(stats.storedBytes / floor).toFixed(3)} x floor, ${(stats.storedBytes / total).toFixed(3)} x files) ${stats.storedBytes <= target ? 'within target' : 'OVER target'}`);

    if (ingestOnly) return;
    console.log('\n## delta pull per step (fresh cache holding only the parent)');
    console.log('step                     pull bytes   zstd patch   ratio  target  pull s  client CPU s  server CPU s (next device)  patch-apply s  full pull s (CPU s)');
    for (const v of series.filter((x) => x.parent)) {
      const parent = series.find((p) => p.version === v.parent)!;
      const step = join(dir, `step-${v.version}`);
      mkdirSync(step);
      const common = { model: 'bench', home: join(dir, 'home'), cacheDir: join(step, 'cache') };
      const fullCpu0 = process.cpuUsage();
      const [fullS] = await timed(() => pullVersion(client, { ...common, ref: parent.version, outDir: join(step, 'old') }));
      const fullCpu = process.cpuUsage(fullCpu0);
      cpSync(join(step, 'cache'), join(step, 'cache2'), { recursive: true }); // a second device holding only the parent
      const cpu0 = process.cpuUsage();
      const serverCpu0 = cpuTimes(server.proc.pid!);
      const [pullS, res] = await timed(() => pullVersion(client, { ...common, ref: v.version, outDir: join(step, 'new') }));
      const cpu = process.cpuUsage(cpu0);
      const serverCpu1 = cpuTimes(server.proc.pid!);
      const pullServerCpu = cpuBetween(serverCpu0, serverCpu1);
      // The next device asking for the same step: the server remembers its delta frames (DeltaFrameCache).
      await pullVersion(client, { ...common, cacheDir: join(step, 'cache2'), ref: v.version, outDir: join(step, 'new2') });
      const nextServerCpu = cpuBetween(serverCpu1, cpuTimes(server.proc.pid!));
      const oldF = join(seriesDir, parent.file);
      const newF = join(seriesDir, v.file);
      const patch = join(step, 'patch.zst');
      sh('zstd', ['-q', '-T0', '--long=31', `--patch-from=${oldF}`, newF, '-o', patch]);
      const patchBytes = statSync(patch).size;
      const [applyS] = await timed(() => sh('zstd', ['-q', '-d', '--long=31', `--patch-from=${oldF}`, patch, '-o', join(step, 'applied')]));
      const ok = res.transferredBytes <= 1.1 * patchBytes + 256 * 1024;
      console.log(
        `${`${parent.version}→${v.version}`.padEnd(24)} ${fmt(res.transferredBytes).padStart(11)} ${fmt(patchBytes).padStart(12)} ${(res.transferredBytes / Math.max(patchBytes, 1)).toFixed(2).padStart(6)}  ${ok ? 'ok  ' : 'OVER'}  ${pullS.toFixed(2).padStart(6)}  ${((cpu.user + cpu.system) / 1e6).toFixed(2).padStart(12)}  ${`${pullServerCpu.toFixed(2)} (${nextServerCpu.toFixed(2)})`.padStart(26)}  ${applyS.toFixed(2).padStart(13)}  ${fullS.toFixed(2).padStart(11)} (${((fullCpu.user + fullCpu.system) / 1e6).toFixed(2)})`,
      );
      rmSync(step, { recursive: true, force: true });
    }
  } finally {
    await server?.kill();
  }
  rmSync(seriesDir, { recursive: true, force: true });
}

interface IngestRound {
  shaS: number;
  restic: { s: number; stored: number } | null;
  pushS: number;
  /** Each version's push time, as text. */
  perVersion: string;
  /** Chunk bytes the server lacked and got. */
  uploaded: number;
  clientCpu: { user: number; system: number };
  serverCpu: { user: number; system: number };
  /** The round's server, left running with the series pushed. */
  server: Awaited<ReturnType<typeof spawnServer>>;
}

/** One ingest round: openssl over the files, restic into a fresh repository, a push to a fresh server. */
async function ingestRound(dir: string, r: number, versions: { version: string; file: string }[]): Promise<IngestRound> {
  const files = versions.map((v) => v.file);
  // Anchor 1: SHA-256 of the same files.
  const [shaS] = await timed(() => sh('openssl', ['dgst', '-sha256', ...files]));
  // Anchor 2: restic, one snapshot per version into a fresh local repo.
  let restic: { s: number; stored: number } | null = null;
  const repo = join(dir, `restic-${r}`);
  try {
    try {
      sh('restic', ['version']);
    } catch {
      sh('apt-get', ['install', '-y', '-q', 'restic'], { timeoutS: 300 });
    }
    const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo };
    sh('restic', ['init', '-q'], { env });
    const [s] = await timed(() => {
      for (const f of files) sh('restic', ['backup', '-q', f], { env });
    });
    restic = { s, stored: duBytes(repo) };
  } catch (err) {
    console.log(`restic unavailable, anchor skipped: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }

  const server = await spawnServer(join(dir, `server-${r}`));
  if (r === 1) console.log(`server process runs from its ${server.from} (npm run build makes the bundle)`);
  try {
    const client = new StewardClient({ url: server.url, token: server.token });
    await client.models.create({ name: 'bench' });
    const serverCpu0 = cpuTimes(server.proc.pid!);
    const clientCpu0 = process.cpuUsage();
    let uploaded = 0;
    const pin = process.env.STEWARD_BENCH_PIN === '1';
    if (pin) {
      sh('taskset', ['-apc', '1', String(server.proc.pid)]);
      sh('taskset', ['-apc', '0', String(process.pid)]);
    }
    const perVersion: string[] = [];
    const [pushS] = await timed(async () => {
      for (const v of versions) {
        const t0 = performance.now();
        uploaded += (await pushVersion(client, { model: 'bench', version: v.version, paths: [v.file], digests: null })).uploadedBytes; // every byte read: ingest, not a re-push
        perVersion.push(`${v.version} ${((performance.now() - t0) / 1000).toFixed(2)}`);
      }
    });
    if (pin) for (const pid of [process.pid, server.proc.pid!]) sh('taskset', ['-apc', `0-${availableParallelism() - 1}`, String(pid)]); // the pulls that follow run unpinned
    const c = process.cpuUsage(clientCpu0);
    const serverCpu1 = cpuTimes(server.proc.pid!);
    return {
      shaS,
      restic,
      pushS,
      perVersion: `${perVersion.join(' s, ')} s${pin ? ' (client on CPU 0, server on CPU 1)' : ''}`,
      uploaded,
      clientCpu: { user: c.user / 1e6, system: c.system / 1e6 },
      serverCpu: { user: serverCpu1.user - serverCpu0.user, system: serverCpu1.system - serverCpu0.system },
      server,
    };
  } catch (err) {
    await server.kill();
    throw err;
  }
}

/** Peak RSS of a process since the last reset (Linux: VmHWM; writing 5 to clear_refs resets it). */
function serverPeakMiB(pid: number, reset: boolean): number {
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  if (reset) writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return kib / 1024;
}

/** Memory of one big file, each side in its own process so peak RSS is its own. */
async function memoryCase(dir: string, bigMiB: number): Promise<void> {
  const big = join(dir, 'big.bin');
  sh('sh', ['-c', `head -c ${bigMiB * MiB} /dev/urandom > "${big}"`], { timeoutS: 900 });
  const memServer = await spawnServer(join(dir, 'mem-server'));
  console.log(`memory case: server process runs from its ${memServer.from}`);
  try {
    await new StewardClient({ url: memServer.url, token: memServer.token }).models.create({ name: 'mem' });
    const pid = memServer.proc.pid!;
    const child = (mode: string) => memRun([self, '--mem-child', mode, memServer.url, memServer.token, big, join(dir, 'mem-out')]);
    serverPeakMiB(pid, true);
    const push = await child('push');
    const pushServer = serverPeakMiB(pid, true);
    rmSync(big, { force: true }); // the pull writes its own copy; keep the disk footprint at ~3 × the file
    const pull = await child('pull');
    const pullServer = serverPeakMiB(pid, false);
    console.log(`\n## memory, one ${bigMiB} MiB file (target < 300 MiB RSS)`);
    console.log(`push  client ${push.maxRssMiB.toFixed(0)} MiB, server ${pushServer.toFixed(0)} MiB peak RSS, ${(bigMiB / push.seconds).toFixed(0)} MiB/s`);
    console.log(`pull  client ${pull.maxRssMiB.toFixed(0)} MiB, server ${pullServer.toFixed(0)} MiB peak RSS, ${(bigMiB / pull.seconds).toFixed(0)} MiB/s`);
  } finally {
    await memServer.kill();
  }
}

function memRun(args: string[]): Promise<{ seconds: number; maxRssMiB: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`mem child exited ${code}`))));
  });
}

// Last, so every const above is initialised before main runs.
if (process.argv[2] === '--mem-child') await memChild();
else await main();
