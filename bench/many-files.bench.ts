// A model directory of many small files (configs, tokenizer files, adapters: 300 files of 1–200 KB,
// ~29 MiB), pushed and pulled through a server process, against restic on the same directory in
// the same run, as ratios of wall time (restic's time / Steward's: above 1 is faster than restic):
//   first push        vs `restic backup` into a fresh repository
//   push of an edit   vs a second `restic backup` (one file changed; both skip unchanged files by stat)
//   pull              vs `restic restore latest` into an empty directory
// Run: node --import tsx bench/many-files.bench.ts   (STEWARD_BENCH_FILES=300, STEWARD_BENCH_ROUNDS=3;
//   each round gets a fresh server, repository and cache, and the fastest round of each step counts)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededBytes } from '@steward/core';
import { StewardClient } from '@steward/client';
import { DigestCache, pullVersion, pushVersion } from '@steward/client/node';
import { spawnServer } from '../packages/server/src/testing/child-server.ts';

const files = Number(process.env.STEWARD_BENCH_FILES ?? 300);
const rounds = Number(process.env.STEWARD_BENCH_ROUNDS ?? 3);

const sh = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void => {
  execFileSync(cmd, args, { env, stdio: 'ignore', timeout: 600_000 });
};
const timed = async (f: () => unknown): Promise<number> => {
  const s = performance.now();
  await f();
  return (performance.now() - s) / 1000;
};

/** The model directory: `files` files of 1–200 KB, the same bytes every run. */
function writeModel(root: string): number {
  mkdirSync(root, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const b = seededBytes(1000 + ((i * 7919) % 200_000), i + 1);
    writeFileSync(join(root, `f${String(i).padStart(4, '0')}.bin`), b);
    bytes += b.length;
  }
  return bytes;
}
const edit = (root: string, round: number) => writeFileSync(join(root, 'f0001.bin'), seededBytes(5000, 1000 + round));

interface Round {
  restic: { backup: number; again: number; restore: number };
  steward: { push: number; again: number; pull: number };
}

async function round(dir: string, r: number, model: string): Promise<Round> {
  const repo = join(dir, `restic-${r}`);
  const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repo };
  sh('restic', ['init', '-q'], env);
  edit(model, 2 * r); // the same starting point for both tools, new for each round
  const backup = await timed(() => sh('restic', ['backup', '-q', model], env));
  edit(model, 2 * r + 1);
  const again = await timed(() => sh('restic', ['backup', '-q', model], env));
  const restore = await timed(() => sh('restic', ['restore', 'latest', '-q', '--target', join(dir, `restored-${r}`)], env));
  rmSync(repo, { recursive: true, force: true });
  rmSync(join(dir, `restored-${r}`), { recursive: true, force: true });

  const server = await spawnServer(join(dir, `server-${r}`));
  try {
    const client = new StewardClient({ url: server.url, token: server.token });
    await client.models.create({ name: 'many' });
    const digests = await DigestCache.open(join(dir, `digests-${r}.json`), { racyMs: 0 });
    edit(model, 2 * r);
    const push = await timed(() => pushVersion(client, { model: 'many', version: '1.0.0', paths: ['.'], cwd: model, digests }));
    edit(model, 2 * r + 1);
    const pushAgain = await timed(() => pushVersion(client, { model: 'many', version: '1.0.1', paths: ['.'], cwd: model, digests }));
    const pull = await timed(() => pullVersion(client, { model: 'many', ref: '1.0.1', outDir: join(dir, `pulled-${r}`), cacheDir: join(dir, `cache-${r}`), home: join(dir, `home-${r}`) }));
    return { restic: { backup, again, restore }, steward: { push, again: pushAgain, pull } };
  } finally {
    await server.kill();
    for (const p of [`server-${r}`, `pulled-${r}`, `cache-${r}`, `home-${r}`, `digests-${r}.json`]) rmSync(join(dir, p), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(process.env.STEWARD_BENCH_DIR ?? tmpdir(), 'steward-many-'));
  try {
    const model = join(dir, 'model');
    const bytes = writeModel(model);
    console.log(`model directory: ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    const all: Round[] = [];
    for (let r = 1; r <= rounds; r++) {
      const got = await round(dir, r, model);
      all.push(got);
      const s = (x: number) => `${x.toFixed(2)} s`;
      console.log(`round ${r}: restic backup ${s(got.restic.backup)}, again ${s(got.restic.again)}, restore ${s(got.restic.restore)}; steward push ${s(got.steward.push)}, again ${s(got.steward.again)}, pull ${s(got.steward.pull)}`);
    }
    const best = (f: (r: Round) => number) => Math.min(...all.map(f));
    console.log(`fastest of ${rounds} round(s), restic's time / Steward's (above 1: faster than restic):`);
    for (const [label, a, b] of [
      ['first push vs backup', best((r) => r.restic.backup), best((r) => r.steward.push)],
      ['push of an edit vs backup', best((r) => r.restic.again), best((r) => r.steward.again)],
      ['pull vs restore', best((r) => r.restic.restore), best((r) => r.steward.pull)],
    ] as const) {
      console.log(`${label.padEnd(28)} restic ${a.toFixed(2)} s, steward ${b.toFixed(2)} s = ${(a / b).toFixed(2)} x`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
