import { resolve } from 'node:path';
import type { Command } from 'commander';
import { StewardError } from '@steward/core';
import { planPull, pullVersion, stewardHome, trustedKey, verifyDir, verifyVersionSignature } from '@steward/client/node';
import type { App } from '../app.ts';
import { parseModelRef } from '../args.ts';
import { formatBytes } from '../format.ts';
import { transferProgress } from '../progress.ts';
import { cacheMaxBytes } from './cache.ts';

export function registerPullCommands(program: Command, app: App): void {
  program
    .command('pull <name@ref>')
    .description('download a version (signature and digests verified)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--no-verify', 'skip the manifest signature check (digests are still checked)')
    .option('--dry-run', 'print how many bytes (at most: fetch answers come compressed) and chunks the pull would transfer, given the local chunk cache; write nothing')
    .option('--cache-dir <dir>', 'chunk cache directory (default $STEWARD_HOME/cache/chunks)')
    .option('--cache-max <size>', 'chunk cache size cap, least recently used chunks evicted after the pull (500MB, 20GB, …; default STEWARD_CACHE_MAX or 20GB)')
    .option('--no-seed', 'do not use the files already in the output directory (another version) as a source of chunks the cache lacks')
    .action(async (target: string, o: { out: string; verify: boolean; dryRun?: boolean; cacheDir?: string; cacheMax?: string; seed: boolean }, cmd: Command) => {
      const { model, ref } = parseModelRef(target, 'latest');
      const cacheDir = o.cacheDir === undefined ? undefined : resolve(app.io.cwd, o.cacheDir);
      const common = { model, ref, outDir: resolve(app.io.cwd, o.out), verify: o.verify, home: stewardHome(app.io.env), cacheDir, cacheMaxBytes: cacheMaxBytes(o.cacheMax, app.io.env), seed: o.seed };
      if (o.dryRun) {
        const p = await planPull(app.client(cmd), common);
        const v = p.version;
        const out = {
          model: v.model,
          version: v.version,
          files: p.files.length,
          upToDate: p.skipped,
          transferBytes: p.transferBytes,
          chunks: p.plan.fetch.length,
          chunkBytes: p.plan.fetchBytes,
          cachedChunks: p.plan.cachedChunks,
          cachedBytes: p.plan.cachedBytes,
          seededChunks: p.plan.seededChunks,
          seededBytes: p.plan.seededBytes,
          wholeFileBytes: p.plan.wholeBytes,
        };
        app.print(cmd, out, () =>
          `pull ${v.model}@${v.version} would transfer at most ${formatBytes(p.transferBytes)} (${p.transferBytes} bytes before wire compression): ${out.chunks} chunk(s) to fetch, ${out.cachedChunks} in the cache (${formatBytes(out.cachedBytes)}${out.seededChunks ? `, ${out.seededChunks} of them from the files in the output directory` : ''})${out.wholeFileBytes ? `, ${formatBytes(out.wholeFileBytes)} as whole files` : ''}; ${out.files} file(s) to write, ${out.upToDate} up to date`,
        );
        return;
      }
      const bar = transferProgress(app.io.stderr, !app.globals(cmd).json);
      try {
        const res = await pullVersion(app.client(cmd), { ...common, onProgress: bar.update });
        bar.stop();
        const v = res.version;
        app.print(cmd, { ...v, pull: { downloaded: res.downloaded, skipped: res.skipped, bytes: res.bytes, transferredBytes: res.transferredBytes, chunksFetched: res.chunksFetched, chunksCached: res.chunksCached, chunksSeeded: res.chunksSeeded, seededBytes: res.seededBytes } }, () =>
          `pulled ${v.model}@${v.version} into ${o.out}: ${res.downloaded} downloaded (${formatBytes(res.bytes)}, ${formatBytes(res.transferredBytes)} transferred, ${res.chunksCached} chunk(s) from the cache${res.chunksSeeded ? `, ${res.chunksSeeded} of them from the files already there` : ''}), ${res.skipped} up to date${o.verify ? ', signature verified' : ''}`,
        );
      } finally {
        bar.stop();
      }
    });

  program
    .command('verify <name@ref> <dir>')
    .description('check a directory against a version’s signed manifest')
    .action(async (target: string, dir: string, _o: unknown, cmd: Command) => {
      const { model, ref } = parseModelRef(target, 'latest');
      const client = app.client(cmd);
      const version = await client.versions.get(model, ref);
      verifyVersionSignature(version, await trustedKey(client, stewardHome(app.io.env)));
      const report = await verifyDir(version, resolve(app.io.cwd, dir));
      app.print(cmd, { model: version.model, version: version.version, ...report }, () => {
        const lines = [
          ...report.missing.map((p) => `missing     ${p}`),
          ...report.extra.map((p) => `extra       ${p}`),
          ...report.mismatched.map((m) => `mismatched  ${m.path}`),
        ];
        return report.ok ? `${dir} matches ${version.model}@${version.version} (${version.manifest.files.length} files, signature verified)` : lines.join('\n');
      });
      if (!report.ok) {
        const n = report.missing.length + report.extra.length + report.mismatched.length;
        throw new StewardError('verify_failed', `${dir} does not match ${version.model}@${version.version}: ${n} difference(s)`, 0);
      }
    });
}
