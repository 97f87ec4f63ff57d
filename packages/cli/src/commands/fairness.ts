import type { Command } from 'commander';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { table } from '../format.ts';
import { num, parseRef } from './monitor.ts';

export function registerFairnessCommand(program: Command, app: App): void {
  program
    .command('fairness <ref>')
    .description('Fairlearn group metrics of NAME@VERSION for one sensitive attribute, with bootstrap CIs')
    .requiredOption('--attr <name>', 'sensitive attribute sent in the events\' groups (e.g. sex)')
    .option('--since <time>', 'duration before now or ISO time', '1d')
    .option('--until <time>', 'end of the range')
    .option('--min-group-size <n>', 'groups smaller than this are shown but not compared', '30')
    .action(async (ref: string, o: { attr: string; since: string; until?: string; minGroupSize: string }, cmd: Command) => {
      const { model, version } = parseRef(ref, true);
      const min = Number(o.minGroupSize);
      if (!Number.isInteger(min) || min < 1) throw new UsageError('--min-group-size must be a positive integer');
      const f = await app.client(cmd).monitoring.fairness(model, version!, o.attr, { since: o.since, minGroupSize: min, ...(o.until ? { until: o.until } : {}) });
      const ci = (k: 'demographicParityDifference' | 'demographicParityRatio' | 'equalizedOddsDifference') => `${num(f[k])} [${num(f.ci[k].low)}, ${num(f.ci[k].high)}]`;
      app.print(cmd, f, () => [
        table(['GROUP', 'N', 'LABELLED', 'SELECTION', 'TPR', 'FPR', 'COMPARED'], f.groups.map((g) => [g.group, num(g.n), num(g.labelled), num(g.selectionRate), num(g.truePositiveRate), num(g.falsePositiveRate), g.included ? 'yes' : `no (< ${min})`])),
        `demographic parity difference ${ci('demographicParityDifference')}`,
        `demographic parity ratio      ${ci('demographicParityRatio')}`,
        `equalized odds difference     ${ci('equalizedOddsDifference')}   (${Math.round(f.ci.level * 100)}% bootstrap CIs)`,
      ].join('\n'));
    });
}
