import { resolve } from 'node:path';
import type { Command } from 'commander';
import { StewardError } from '@steward/core';
import { pullVersion, stewardHome, trustedKey, verifyDir, verifyVersionSignature } from '@steward/client/node';
import type { App } from '../app.ts';
import { parseModelRef } from '../args.ts';
import { formatBytes } from '../format.ts';
import { transferProgress } from '../progress.ts';

export function registerPullCommands(program: Command, app: App): void {
  program
    .command('pull <name@ref>')
    .description('download a version (signature and digests verified)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--no-verify', 'skip the manifest signature check (digests are still checked)')
    .action(async (target: string, o: { out: string; verify: boolean }, cmd: Command) => {
      const { model, ref } = parseModelRef(target, 'latest');
      const bar = transferProgress(app.io.stderr, !app.globals(cmd).json);
      try {
        const res = await pullVersion(app.client(cmd), {
          model,
          ref,
          outDir: resolve(app.io.cwd, o.out),
          verify: o.verify,
          home: stewardHome(app.io.env),
          onProgress: bar.update,
        });
        bar.stop();
        const v = res.version;
        app.print(cmd, v, () =>
          `pulled ${v.model}@${v.version} into ${o.out}: ${res.downloaded} downloaded (${formatBytes(res.bytes)}), ${res.skipped} up to date${o.verify ? ', signature verified' : ''}`,
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
