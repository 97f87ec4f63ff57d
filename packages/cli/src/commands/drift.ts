import type { Command } from 'commander';
import type { App } from '../app.ts';
import { short, table } from '../format.ts';
import { num, parseRef } from './monitor.ts';

export function registerDriftCommand(program: Command, app: App): void {
  program
    .command('drift <ref>')
    .description('data drift of each feature of NAME@VERSION against its reference (Evidently defaults)')
    .option('--since <time>', 'duration before now or ISO time', '1d')
    .option('--until <time>', 'end of the range')
    .action(async (ref: string, o: { since: string; until?: string }, cmd: Command) => {
      const { model, version } = parseRef(ref, true);
      const d = await app.client(cmd).monitoring.drift(model, version!, { since: o.since, ...(o.until ? { until: o.until } : {}) });
      app.print(cmd, d, () => [
        `${ref}: ${d.rows} rows since ${short(d.since)}; ${d.driftedColumns}/${d.columns.length} columns drifted (share ${num(d.share)}); dataset drift: ${d.drifted ? 'YES' : 'no'}`,
        table(
          ['COLUMN', 'METHOD', 'STATISTIC', 'P-VALUE', 'THRESHOLD', 'PSI', 'DRIFT'],
          d.columns.map((c) => [c.name, c.method, num(c.statistic, 4), c.pValue === null ? '-' : num(c.pValue, 4), num(c.threshold), num(d.psi?.[c.name], 4), c.drifted ? 'DRIFT' : 'ok']),
        ),
        d.missingColumns?.length ? `no current data for: ${d.missingColumns.join(', ')}` : '',
      ].filter(Boolean).join('\n'));
    });
}
