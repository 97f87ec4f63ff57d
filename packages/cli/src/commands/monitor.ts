import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Reference, ReferenceSummary } from '@steward/client';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { short, table } from '../format.ts';

/** `NAME` or `NAME@VERSION`. */
export function parseRef(ref: string, needVersion: boolean): { model: string; version: string | undefined } {
  const at = ref.indexOf('@');
  const model = at < 0 ? ref : ref.slice(0, at);
  const version = at < 0 ? undefined : ref.slice(at + 1);
  if (!model || (at >= 0 && !version)) throw new UsageError(`expected NAME or NAME@VERSION, got "${ref}"`);
  if (needVersion && !version) throw new UsageError(`expected NAME@VERSION, got "${ref}"`);
  return { model, version };
}

/** Numbers for tables: null/NaN → '-', rates as given with 3 decimals. */
export const num = (v: unknown, digits = 3): string => (typeof v === 'number' && Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : '-');

export function registerMonitorCommands(program: Command, app: App): void {
  program
    .command('monitor <ref>')
    .description('metrics per window for NAME or NAME@VERSION (count, errors, latency, accuracy once labels join, CBPE estimate, alarms)')
    .option('--window <size>', '1m, 1h or 1d', '1h')
    .option('--since <time>', 'duration before now (30m, 1h, 7d) or ISO time', '1d')
    .option('--until <time>', 'end of the range (default now)')
    .action(async (ref: string, o: { window: string; since: string; until?: string }, cmd: Command) => {
      if (!['1m', '1h', '1d'].includes(o.window)) throw new UsageError('--window must be 1m, 1h or 1d');
      const { model, version } = parseRef(ref, false);
      const res = await app.client(cmd).monitoring.windows(model, { window: o.window as '1m', since: o.since, ...(o.until ? { until: o.until } : {}), ...(version ? { version } : {}) });
      app.print(cmd, res.items, () =>
        res.items.length === 0
          ? `no events for ${ref} since ${o.since}; services send them with POST /api/v1/events (see docs/monitoring.md)`
          : table(
            ['WINDOW', 'VERSION', 'COUNT', 'ERR%', 'P95 MS', 'LABELLED', 'ACCURACY', 'F1', 'EST ACC', 'ALARMS'],
            res.items.map((w) => {
              const m = w.metrics;
              const alarms = Object.entries(m.alarms).map(([k, v]) => `${k}=${v}`).join(' ') || '-';
              return [short(w.start), w.version, num(m.count), num(typeof m.errorRate === 'number' ? m.errorRate * 100 : null, 1), num(m.latencyP95Ms), num(m.labelled), num(m.accuracy), num(m.f1), num(m.estimatedAccuracy), alarms];
            }),
          ),
      );
    });

  program
    .command('performance <ref>')
    .description('realized metrics from joined labels and CBPE estimates (NAME@VERSION)')
    .option('--since <time>', 'duration before now or ISO time', '1d')
    .option('--until <time>', 'end of the range')
    .action(async (ref: string, o: { since: string; until?: string }, cmd: Command) => {
      const { model, version } = parseRef(ref, true);
      const p = await app.client(cmd).monitoring.performance(model, version!, { since: o.since, ...(o.until ? { until: o.until } : {}) });
      app.print(cmd, p, () => [
        `${ref}: ${p.rows} predictions since ${short(p.since)}`,
        `realized  (${p.realized.labelled} labelled): accuracy ${num(p.realized.accuracy)}  f1 ${num(p.realized.f1)}  log loss ${num(p.realized.logLoss)}`,
        `estimated (CBPE): accuracy ${num(p.estimated.accuracy)}  f1 ${num(p.estimated.f1)}  roc auc ${num(p.estimated.rocAuc)}${p.estimated.trustworthy ? '' : '  [not trustworthy: reference scores not shown to be calibrated]'}`,
        p.reference ? `reference: accuracy ${num(p.reference.accuracy)}  f1 ${num(p.reference.f1)}  ece ${num(p.reference.ece)}` : 'reference: none',
      ].join('\n'));
    });

  program
    .command('reference <ref>')
    .description('set the reference profile of NAME@VERSION from a registered dataset (--dataset) or a CSV file (--file); without either, show it')
    .option('--dataset <name>', 'dataset registered on the version (name or sha256)')
    .option('--file <csv>', 'CSV file to upload (must fit the server JSON limit; register big ones as datasets)')
    .option('--label <column>', 'label column')
    .option('--positive-class <value>', 'label value counted as 1', '1')
    .option('--score <column>', 'column holding the model score P(1), for calibration and reference metrics')
    .option('--categorical <columns>', 'comma-separated columns to treat as categorical')
    .action(async (ref: string, o: { dataset?: string; file?: string; label?: string; positiveClass: string; score?: string; categorical?: string }, cmd: Command) => {
      const { model, version } = parseRef(ref, true);
      const client = app.client(cmd);
      const opts = { ...(o.label ? { label: o.label, positiveClass: o.positiveClass } : {}), ...(o.score ? { score: o.score } : {}) };
      let res: ReferenceSummary | Reference;
      if (o.dataset) res = await client.monitoring.setReference(model, version!, { dataset: o.dataset, ...opts, ...(o.categorical ? { categorical: o.categorical.split(',') } : {}) });
      else if (o.file) res = await client.monitoring.uploadReference(model, version!, readFileSync(resolve(app.io.cwd, o.file), 'utf8'), { ...opts, ...(o.categorical ? { categorical: o.categorical } : {}) });
      else res = await client.monitoring.reference(model, version!);
      app.print(cmd, res, () => {
        const summary = 'profile' in res
          ? { rows: res.profile.rows, columns: Object.keys(res.profile.columns).length, perf: res.profile.performance }
          : { rows: res.rows, columns: res.columns.length, perf: res.performance };
        const perf = summary.perf;
        return `${ref}: reference from ${res.source} (${summary.rows} rows, ${summary.columns} columns)${perf ? `; accuracy ${num(perf.accuracy)}, ece ${num(perf.ece)}, ${perf.calibrated ? 'calibrated' : 'NOT calibrated (CBPE estimates flagged)'}` : ''}`;
      });
    });

  program
    .command('events <file>')
    .description('send an NDJSON file of prediction/feedback events (one JSON object per line)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const text = readFileSync(resolve(app.io.cwd, file), 'utf8');
      const lines = text.split('\n').filter((l) => l.trim());
      const client = app.client(cmd);
      const total = { accepted: 0, rejected: 0, reasons: {} as Record<string, number> };
      for (let i = 0; i < lines.length; i += 1000) {
        const r = await client.events.sendNdjson(lines.slice(i, i + 1000).join('\n'));
        total.accepted += r.accepted;
        total.rejected += r.rejected;
        for (const [k, v] of Object.entries(r.reasons)) total.reasons[k] = (total.reasons[k] ?? 0) + v;
      }
      app.print(cmd, total, () => `accepted ${total.accepted}, rejected ${total.rejected}${total.rejected ? ` (${Object.entries(total.reasons).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`);
    });
}
