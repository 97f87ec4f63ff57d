import { resolve } from 'node:path';
import bytes from 'bytes';
import type { Command } from 'commander';
import { ChunkCache, DEFAULT_CACHE_MAX_BYTES, defaultChunkCacheDir } from '@steward/client/node';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';

/** A size: a byte count or a number with a unit (`500MB`, `20GB`, `1.5TB`; units are 1024-based). */
export function parseSize(text: string, what: string): number {
  const n = /^\s*\d+(\.\d+)?\s*([kmgtp]?b)?\s*$/i.test(text) ? bytes.parse(text) : null;
  if (n === null || !Number.isFinite(n)) throw new UsageError(`${what} must be a size like 500MB, 20GB or a byte count, got "${text}"`);
  return Math.floor(n);
}

/** The chunk cache's size cap: `--cache-max`, else STEWARD_CACHE_MAX, else 20 GiB. */
export function cacheMaxBytes(flag: string | undefined, env: Record<string, string | undefined>): number {
  if (flag !== undefined) return parseSize(flag, '--cache-max');
  if (env.STEWARD_CACHE_MAX) return parseSize(env.STEWARD_CACHE_MAX, 'STEWARD_CACHE_MAX');
  return DEFAULT_CACHE_MAX_BYTES;
}

/** Sizes as the cache commands read them: 1024-based units (`20GB` is 20 × 1024³ bytes). */
const size = (n: number): string => bytes.format(n, { unitSeparator: ' ' }) ?? `${n} B`;

export function registerCacheCommands(program: Command, app: App): void {
  const cache = program.command('cache').description("this machine's chunk cache (what pulls keep to fetch only what changed)");
  const open = (o: { cacheDir?: string; cacheMax?: string }) =>
    new ChunkCache(o.cacheDir === undefined ? defaultChunkCacheDir(app.io.env) : resolve(app.io.cwd, o.cacheDir), {
      maxBytes: cacheMaxBytes(o.cacheMax, app.io.env),
    });
  const dirOption = '--cache-dir <dir>';
  const dirHelp = 'chunk cache directory (default $STEWARD_HOME/cache/chunks)';

  cache
    .command('info')
    .description('where the cache is, what it holds and its size cap')
    .option(dirOption, dirHelp)
    .option('--cache-max <size>', 'size cap to report (default STEWARD_CACHE_MAX or 20GB)')
    .action(async (o: { cacheDir?: string; cacheMax?: string }, cmd: Command) => {
      const c = open(o);
      const s = await c.stats();
      const out = { dir: c.dir, ...s, maxBytes: c.maxBytes };
      app.print(cmd, out, () => `${c.dir}: ${size(s.bytes)} of ${size(c.maxBytes)} in ${s.segments} segment(s), ${s.chunks} chunk(s), ${s.recipes} remembered recipe(s)`);
    });

  cache
    .command('trim')
    .description('evict least recently used chunks until the cache fits its cap (pulls do this after each pull)')
    .option(dirOption, dirHelp)
    .option('--max <size>', 'trim to this size instead of the cap (500MB, 2GB, …)')
    .option('--cache-max <size>', 'the cap (default STEWARD_CACHE_MAX or 20GB)')
    .action(async (o: { cacheDir?: string; cacheMax?: string; max?: string }, cmd: Command) => {
      const c = open(o);
      const r = await c.trim(o.max === undefined ? c.maxBytes : parseSize(o.max, '--max'));
      app.print(cmd, { dir: c.dir, ...r }, () => `${c.dir}: freed ${size(r.freedBytes)}, ${size(r.keptBytes)} kept`);
    });

  cache
    .command('clear')
    .description('empty the cache (the next pull of any version fetches every chunk)')
    .option(dirOption, dirHelp)
    .action(async (o: { cacheDir?: string }, cmd: Command) => {
      const c = open(o);
      const r = await c.trim(0);
      app.print(cmd, { dir: c.dir, ...r }, () => `${c.dir}: freed ${size(r.freedBytes)}`);
    });
}
