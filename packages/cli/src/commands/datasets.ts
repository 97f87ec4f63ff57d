import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { StewardClient } from '@steward/client';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { formatBytes, short, table } from '../format.ts';

type Dataset = Awaited<ReturnType<StewardClient['datasets']['get']>>;
const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

function describeDataset(d: Dataset): string {
  const s = d.schema;
  return [
    `${d.name}@${d.version}: ${d.rows} rows, ${formatBytes(d.size)} ${d.format}, sha256 ${d.sha256.slice(0, 16)}`,
    `task:       ${s.task}${s.positiveClass ? ` (positive class "${s.positiveClass}")` : ''}${s.classes ? ` (classes ${s.classes.join(', ')})` : ''}`,
    `label:      ${s.label}`,
    `sensitive:  ${s.sensitive.join(', ') || '-'}`,
    `features:   ${s.features.length}: ${s.features.map((f) => `${f}:${s.columns.find((c) => c.name === f)?.type ?? '?'}`).join(' ')}`,
    `created:    ${short(d.createdAt)} by ${d.createdBy}`,
  ].join('\n');
}

export function registerDatasetCommands(program: Command, app: App): void {
  const dataset = program.command('dataset').description('evaluation datasets (CSV or JSONL), versioned with a schema');

  dataset
    .command('push <name> <version> <file>')
    .description('upload and register an evaluation dataset')
    .requiredOption('--label <column>', 'label column')
    .option('--sensitive <columns>', 'comma-separated sensitive columns (fairness is computed per column)')
    .option('--features <columns>', 'comma-separated feature columns (default: all but label and sensitive)')
    .option('--positive <value>', 'label value counted as positive (binary)')
    .option('--task <task>', 'binary, multiclass or regression (default: inferred from the label)')
    .option('--format <format>', 'csv or jsonl (default: from the file extension)')
    .action(async (name: string, version: string, file: string, o: { label: string; sensitive?: string; features?: string; positive?: string; task?: string; format?: string }, cmd: Command) => {
      const format = (o.format ?? (['.jsonl', '.ndjson'].includes(extname(file).toLowerCase()) ? 'jsonl' : 'csv')) as 'csv' | 'jsonl';
      if (!['csv', 'jsonl'].includes(format)) throw new UsageError(`--format must be csv or jsonl, got "${o.format}"`);
      if (o.task && !['binary', 'multiclass', 'regression'].includes(o.task)) throw new UsageError(`--task must be binary, multiclass or regression, got "${o.task}"`);
      const bytes = readFileSync(resolve(app.io.cwd, file));
      const d = await app.client(cmd).datasets.push(name, version, bytes, {
        format,
        label: o.label,
        ...(list(o.sensitive) ? { sensitive: list(o.sensitive) } : {}),
        ...(list(o.features) ? { features: list(o.features) } : {}),
        ...(o.positive ? { positiveClass: o.positive } : {}),
        ...(o.task ? { task: o.task as 'binary' } : {}),
      });
      app.print(cmd, d, () => describeDataset(d));
    });

  dataset
    .command('show <name@version>')
    .action(async (target: string, _o: unknown, cmd: Command) => {
      const i = target.indexOf('@');
      if (i <= 0) throw new UsageError(`expected NAME@VERSION, got "${target}"`);
      const d = await app.client(cmd).datasets.get(target.slice(0, i), target.slice(i + 1));
      app.print(cmd, d, () => describeDataset(d));
    });

  dataset
    .command('list [name]')
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const items = await app.client(cmd).datasets.list(name);
      app.print(cmd, items, () =>
        items.length === 0 ? 'no datasets: steward dataset push NAME VERSION FILE --label COLUMN' : table(['DATASET', 'ROWS', 'TASK', 'LABEL', 'SENSITIVE', 'CREATED'], items.map((d) => [`${d.name}@${d.version}`, String(d.rows), d.schema.task, d.schema.label, d.schema.sensitive.join(',') || '-', short(d.createdAt)])),
      );
    });
}
