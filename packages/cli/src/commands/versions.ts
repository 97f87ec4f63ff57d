import type { Command } from 'commander';
import { paginate, type Comparison, type Version } from '@steward/client';
import type { App } from '../app.ts';
import { parseModelRef, parsePositiveInt, parseTime, UsageError } from '../args.ts';
import { formatBytes, kv, short, table } from '../format.ts';
import { describeReport } from './validate.ts';

interface ListFlags {
  filter?: string;
  range?: string;
  since?: string;
  until?: string;
  limit?: string;
}

export function registerVersionCommands(program: Command, app: App): void {
  program
    .command('versions <name>')
    .description('list committed versions (semver order)')
    .option('--filter <expr>', 'e.g. "metrics.f1>=0.92 and tags.team=risk"')
    .option('--range <range>', 'semver range, e.g. ^1.0')
    .option('--since <time>', 'created after (ISO-8601 or 7d, 24h, 30m ago)')
    .option('--until <time>', 'created before (ISO-8601 or duration ago)')
    .option('--limit <n>', 'at most n versions')
    .action(async (name: string, o: ListFlags, cmd: Command) => {
      const client = app.client(cmd);
      const now = new Date();
      const limit = o.limit === undefined ? undefined : parsePositiveInt(o.limit);
      const query = {
        filter: o.filter,
        range: o.range,
        createdAfter: o.since === undefined ? undefined : parseTime(o.since, now),
        createdBefore: o.until === undefined ? undefined : parseTime(o.until, now),
      };
      const items: Version[] = [];
      for await (const v of paginate((cursor) => client.versions.list(name, { ...query, limit: limit ? Math.min(limit, 100) : undefined, cursor }))) {
        items.push(v);
        if (limit !== undefined && items.length >= limit) break;
      }
      app.print(cmd, items, () =>
        items.length === 0
          ? 'no matching versions'
          : table(
              ['VERSION', 'CREATED', 'AUTHOR', 'METRICS', 'TAGS'],
              items.map((v) => [v.version, short(v.createdAt), v.author, kv(v.metrics), kv(v.tags)]),
            ),
      );
    });

  program
    .command('show <name@ref>')
    .description('show a version (ref: semver, latest or a channel)')
    .action(async (target: string, _o: unknown, cmd: Command) => {
      const { model, ref } = parseModelRef(target, 'latest');
      const client = app.client(cmd);
      const v = await client.versions.get(model, ref);
      // The latest validation report (any channel), if there is one: 404 just means none yet.
      const found = await client.validations.latest(model, v.version).catch((err: { status?: number }) => {
        if (err?.status === 404) return null;
        throw err;
      });
      // Servers without the gates feature answer something else on that path: show no report.
      const validation = found && Array.isArray(found.gates) ? found : null;
      app.print(cmd, { ...v, validation }, () => describeVersion(v) + (validation ? `\n\nlatest validation: ${describeReport(validation)}` : ''));
    });

  program
    .command('compare <a> <b>')
    .description('compare two versions: NAME@A NAME@B')
    .action(async (a: string, b: string, _o: unknown, cmd: Command) => {
      const ra = parseModelRef(a);
      const rb = parseModelRef(b);
      if (ra.model !== rb.model) throw new UsageError(`compare works within one model, got ${ra.model} and ${rb.model}`);
      const c = await app.client(cmd).versions.compare(ra.model, ra.ref, rb.ref);
      app.print(cmd, c, () => describeComparison(c, ra.model));
    });
}

export function describeVersion(v: Version): string {
  const lines = [
    `${v.model}@${v.version}`,
    `created:      ${short(v.createdAt)} by ${v.author}`,
    `description:  ${v.description || '-'}`,
    `params:       ${kv(v.params)}`,
    `metrics:      ${kv(v.metrics)}`,
    `tags:         ${kv(v.tags)}`,
  ];
  if (v.parent) lines.push(`parent:       ${v.parent}${v.relation ? ` (${v.relation})` : ''}`);
  if (v.dependencies && Object.keys(v.dependencies).length) lines.push(`depends:      ${kv(v.dependencies)}`);
  if (v.datasets?.length) lines.push(`datasets:     ${v.datasets.map((d) => `${d.name}=${d.sha256.slice(0, 12)}`).join(' ')}`);
  lines.push(`signed:       key ${v.keyId}`, '', table(['FILE', 'SIZE', 'SHA256'], v.files.map((f) => [f.path, formatBytes(f.size), f.sha256.slice(0, 16)])));
  return lines.join('\n');
}

const show = (x: unknown): string => (x === null || x === undefined ? '-' : typeof x === 'string' ? x : JSON.stringify(x));

/** Human rendering: changed metrics (with delta), changed params, changed files, schema and lineage notes. */
export function describeComparison(c: Comparison, model: string): string {
  const out: string[] = [`${model}: ${c.a} -> ${c.b}`];
  const section = (title: string, headers: string[], rows: string[][]): void => {
    if (rows.length) out.push('', title, table(headers, rows));
  };
  const delta = (d: number | null): string => (d === null ? '' : `${d >= 0 ? '+' : ''}${Number(d.toPrecision(4))}`);
  section('metrics', ['KEY', c.a, c.b, 'DELTA'], (c.metrics ?? []).map((m) => [m.key, show(m.a), show(m.b), delta(m.delta)]));
  section('params', ['KEY', c.a, c.b], (c.params ?? []).filter((p) => p.changed).map((p) => [p.key, show(p.a), show(p.b)]));
  section('files', ['CHANGE', 'PATH', 'SIZE'], (c.files ?? []).filter((f) => f.status !== 'same').map((f) => [f.status, f.path, `${show(f.sizeA)} -> ${show(f.sizeB)}`]));
  const notes: string[] = [];
  if (c.schema?.inputChanged) notes.push('input schema changed');
  if (c.schema?.outputChanged) notes.push('output schema changed');
  if (c.lineage?.bDescendsFromA) notes.push(`${c.b} descends from ${c.a} (${c.lineage.path.join(' <- ')})`);
  if (notes.length) out.push('', ...notes);
  if (out.length === 1) out.push('no differences');
  return out.join('\n');
}
