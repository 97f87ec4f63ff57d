import type { Command } from 'commander';
import { parseDurationMs, StewardError } from '@steward/core';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { formatBytes, table } from '../format.ts';
import type { StorageStats } from '@steward/client';

/** `--grace`: a duration (`90s`, `30m`, `1h`, `2d`) or plain seconds → seconds. */
export function parseGraceSeconds(text: string): number {
  const ms = parseDurationMs(text, { bare: 's' });
  if (ms === undefined) throw new UsageError(`--grace must look like 90s, 30m, 1h or 2d, got "${text}"`);
  return ms / 1000;
}

/**
 * `disk: objects 12.3 GB free, database 12.3 GB free; uploads leave 536.9 MB`, flagged FULL once a
 * place is under the reserve (pushes of new bytes are refused) and LOW under twice it.
 */
export function diskLine(disk: NonNullable<StorageStats['disk']>): string {
  const places = disk.places.map((p) => `${p.place} ${p.freeBytes === null ? 'unknown' : `${formatBytes(p.freeBytes)} free`}`).join(', ');
  if (disk.minFreeBytes <= 0) return `disk: ${places}; no reserve (STEWARD_MIN_FREE_MIB=0)`;
  const least = Math.min(...disk.places.map((p) => p.freeBytes ?? Infinity));
  const flag =
    least < disk.minFreeBytes
      ? ' (FULL: pushes of new data are refused; free space or run steward gc)'
      : least < 2 * disk.minFreeBytes
        ? ' (LOW: pushes of new data will be refused soon; free space or run steward gc)'
        : '';
  return `disk: ${places}; uploads leave ${formatBytes(disk.minFreeBytes)}${flag}`;
}

export function registerStorageCommands(program: Command, app: App): void {
  const storage = program.command('storage').description('chunked storage: usage and deduplication');
  storage
    .command('stats [model]')
    .description('logical vs stored bytes, dedup ratio, chunks, packs and blobs (whole store or one model)')
    .action(async (model: string | undefined, _o: unknown, cmd: Command) => {
      const s = await app.client(cmd).storage.stats(model);
      app.print(cmd, s, () => {
        const usage = table(
          ['LOGICAL', 'STORED', 'DEDUP', 'CHUNKS', 'PACKS', 'BLOBS'],
          [[formatBytes(s.logicalBytes), formatBytes(s.storedBytes), `${s.dedupRatio.toFixed(2)}x`, String(s.chunks), String(s.packs), String(s.blobs)]],
        );
        return s.disk?.places.length ? `${usage}\n${diskLine(s.disk)}` : usage;
      });
    });

  program
    .command('gc')
    .description('delete unreferenced blobs and chunks older than the grace period, repack mostly-dead packs, merge small ones (admin)')
    .option('--grace <duration>', 'keep anything touched this recently (90s, 30m, 1h, 2d)', '1h')
    .option('--repack-below <share>', 'rewrite packs whose live share is below this (0..1)', '0.5')
    .option('--dry-run', 'report what would be removed, remove nothing')
    .action(async (o: { grace: string; repackBelow: string; dryRun?: boolean }, cmd: Command) => {
      const repackBelow = Number(o.repackBelow);
      if (!(repackBelow >= 0 && repackBelow <= 1)) throw new UsageError(`--repack-below must be between 0 and 1, got "${o.repackBelow}"`);
      const r = await app.client(cmd).storage.gc({ graceSeconds: parseGraceSeconds(o.grace), repackBelow, ...(o.dryRun ? { dryRun: true } : {}) });
      app.print(
        cmd,
        r,
        () =>
          `${o.dryRun ? 'would delete' : 'deleted'} ${r.deletedBlobs} blob(s), ${r.deletedChunks} chunk(s), ${r.deletedPacks} pack(s); repacked ${r.repackedPacks}, merged ${r.mergedPacks} small; ${o.dryRun ? 'would free' : 'freed'} ${formatBytes(r.freedBytes)}`,
      );
    });

  program
    .command('fsck')
    .description('re-hash every chunk and check packs, recipes, index rows and version files; exit 1 on any problem (admin)')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await app.client(cmd).storage.fsck();
      app.print(cmd, r, () => {
        const head = `checked ${r.checked.chunks} chunk(s), ${r.checked.packs} pack(s), ${r.checked.blobs} blob(s), ${r.checked.versions} version(s): ${r.ok ? 'ok' : `${r.problems.length} problem(s)`}`;
        return r.ok ? head : `${head}\n${table(['KIND', 'ID', 'PROBLEM'], r.problems.map((p) => [p.kind, p.id, p.message]))}`;
      });
      if (!r.ok) throw new StewardError('fsck_failed', `fsck found ${r.problems.length} problem(s)`, 0, { problems: r.problems.length });
    });
}
