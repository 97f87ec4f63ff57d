// Push then pull of one large file through the API, against `cp` of the same file on the same disk,
// in one run. The server runs in its own process so its peak RSS is measured separately.
// Run: node --import tsx bench/registry-io.bench.ts   (STEWARD_BENCH_MIB=1024 by default)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StewardClient } from '@steward/client';
import { pullVersion, pushVersion } from '@steward/client/node';
import { spawnServer } from '../packages/server/src/testing/child-server.ts';

const MIB = Number(process.env.STEWARD_BENCH_MIB ?? 1024);
const dir = mkdtempSync(join(process.env.STEWARD_BENCH_DIR ?? tmpdir(), 'steward-io-'));
const peakRssMib = (pid: number | 'self') => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

async function writeFile(path: string) {
  const out = createWriteStream(path);
  const block = randomBytes(4 * 1024 * 1024);
  for (let i = 0; i < MIB / 4; i++) {
    block.writeUInt32LE(i, 0); // every block distinct
    if (!out.write(block)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error) => (e ? j(e) : r())));
}

try {
  const src = join(dir, 'model.bin');
  await writeFile(src);
  execFileSync('sync');
  const time = async (f: () => unknown) => {
    const s = performance.now();
    await f();
    return (performance.now() - s) / 1000;
  };
  // Anchor: cp then fsync of the copy, since a push fsyncs what it stores (plain cp is also shown).
  const cpOnlyS = await time(() => execFileSync('cp', [src, join(dir, 'copy0.bin')]));
  const cpS = await time(() => execFileSync('sh', ['-c', `cp "$0" "$1" && sync "$1"`, src, join(dir, 'copy.bin')]));
  rmSync(join(dir, 'copy0.bin'));
  rmSync(join(dir, 'copy.bin'));

  const server = await spawnServer(join(dir, 'server'));
  console.log(`server process runs from its ${server.from} (npm run build makes the bundle)`);
  try {
    const client = new StewardClient({ url: server.url, token: server.token });
    await client.models.create({ name: 'bench' });
    const pushS = await time(() => pushVersion(client, { model: 'bench', version: '1.0.0', paths: [src], digests: null }));
    mkdirSync(join(dir, 'out'));
    const pullS = await time(() => pullVersion(client, { model: 'bench', ref: '1.0.0', outDir: join(dir, 'out'), home: join(dir, 'home') }));
    const serverRss = peakRssMib(server.proc.pid!);
    const rows = [
      ['cp (no fsync)', cpOnlyS],
      ['cp + fsync (anchor)', cpS],
      ['push (hash + upload + commit)', pushS],
      ['pull (download + verify)', pullS],
    ] as const;
    console.log(`file: ${MIB} MiB`);
    for (const [name, s] of rows) console.log(`${name.padEnd(32)} ${s.toFixed(2).padStart(7)} s ${(MIB / s).toFixed(0).padStart(6)} MiB/s  ratio to cp ${(s / cpS).toFixed(2)}`);
    console.log(`peak RSS: server ${serverRss.toFixed(0)} MiB, client ${peakRssMib('self').toFixed(0)} MiB`);
  } finally {
    await server.kill();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
