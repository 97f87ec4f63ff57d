import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';

/** NDJSON `{"requestId":…,"label":0|1}` lines, or a CSV with requestId,label columns. */
export function parseLabelFile(text: string): Array<{ requestId: string; label: 0 | 1 }> {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const toLabel = (v: unknown, where: string): 0 | 1 => {
    if (v === 1 || v === '1' || v === true || v === 'true') return 1;
    if (v === 0 || v === '0' || v === false || v === 'false') return 0;
    throw new UsageError(`${where}: label must be 0/1 or true/false`);
  };
  if (lines[0]?.startsWith('{')) {
    return lines.map((l, i) => {
      const o = JSON.parse(l) as { requestId?: unknown; label?: unknown };
      if (typeof o.requestId !== 'string') throw new UsageError(`line ${i + 1}: requestId missing`);
      return { requestId: o.requestId, label: toLabel(o.label, `line ${i + 1}`) };
    });
  }
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const ri = header.indexOf('requestId');
  const li = header.indexOf('label');
  if (ri < 0 || li < 0) throw new UsageError('CSV label files need requestId and label columns');
  return lines.slice(1).map((l, i) => {
    const cells = l.split(',');
    return { requestId: (cells[ri] ?? '').trim(), label: toLabel((cells[li] ?? '').trim(), `row ${i + 2}`) };
  });
}

export function registerLabelCommands(program: Command, app: App): void {
  const labels = program.command('labels').description('the label queue (most uncertain rows) and label import');

  labels
    .command('export <name>')
    .description('write queued rows as NDJSON (add a "label" to each and import them back)')
    .option('--out <file>', 'file to write (default stdout)')
    .option('--limit <n>', 'at most this many rows', '1000')
    .action(async (name: string, o: { out?: string; limit: string }, cmd: Command) => {
      const items = await app.client(cmd).labels.list(name, { status: 'queued', limit: Number(o.limit) });
      const ndjson = items.map((q) => JSON.stringify({ requestId: q.requestId, version: q.version, uncertainty: q.uncertainty, features: q.row.features, score: q.row.score ?? null, label: null })).join('\n');
      if (o.out) {
        writeFileSync(resolve(app.io.cwd, o.out), ndjson ? `${ndjson}\n` : '');
        app.note(`${items.length} row(s) written to ${o.out}`);
      } else if (app.globals(cmd).json) app.print(cmd, items, () => '');
      else app.io.stdout.write(ndjson ? `${ndjson}\n` : '');
    });

  labels
    .command('import <name> <file>')
    .description('send labels (NDJSON with requestId + label, or CSV requestId,label); they join predictions as feedback')
    .action(async (name: string, file: string, _o: unknown, cmd: Command) => {
      const rows = parseLabelFile(readFileSync(resolve(app.io.cwd, file), 'utf8'));
      const res = await app.client(cmd).labels.import(name, rows);
      app.print(cmd, res, () => `accepted ${res.accepted}, rejected ${res.rejected}${res.rejected ? ` (${Object.entries(res.reasons).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`);
    });
}
