import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { paginate, type Channel, type ChannelEvent, type RoutingTable } from '@steward/client';
import type { App } from '../app.ts';
import { parseTime, UsageError } from '../args.ts';
import { short, table } from '../format.ts';
import { rollbackActiveRollout } from './rollouts.ts';

const stable = (t: RoutingTable | null | undefined): string => t?.stable ?? '-';
const channelLine = (c: Channel): string => `${c.name}: ${c.table.stable} (seq ${c.seq}, ${short(c.updatedAt)} by ${c.updatedBy})`;
const eventRows = (items: ChannelEvent[]): string =>
  table(
    ['SEQ', 'AT', 'KIND', 'CHANGE', 'AUTHOR', 'REASON'],
    items.map((e) => [String(e.seq), short(e.at), e.kind, `${stable(e.from)} -> ${stable(e.to)}`, e.author, e.reason || '-']),
  );

export function registerChannelCommands(program: Command, app: App): void {
  const channel = program.command('channel').description('read and move channels');

  channel
    .command('set <name> <channel> <version>')
    .description('point a channel at a version')
    .option('--reason <text>', 'why (kept in the history)')
    .option('--force', "admin only, with --reason: override a protected channel's gates and approvals (audited)")
    .action(async (name: string, ch: string, version: string, o: { reason?: string; force?: boolean }, cmd: Command) => {
      const c = await app.client(cmd).channels.set(name, ch, { version, reason: o.reason, ...(o.force ? { force: true } : {}) });
      app.print(cmd, c, () => channelLine(c));
    });

  channel
    .command('get <name> <channel>')
    .action(async (name: string, ch: string, _o: unknown, cmd: Command) => {
      const c = await app.client(cmd).channels.get(name, ch);
      app.print(cmd, c, () => channelLine(c));
    });

  channel
    .command('list <name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const items = await app.client(cmd).channels.list(name);
      app.print(cmd, items, () =>
        items.length === 0 ? `no channels: steward channel set ${name} CHANNEL VERSION` : table(['CHANNEL', 'STABLE', 'SEQ', 'UPDATED', 'BY'], items.map((c) => [c.name, c.table.stable, String(c.seq), short(c.updatedAt), c.updatedBy])),
      );
    });

  channel
    .command('history <name> <channel>')
    .description('changes, newest first')
    .action(async (name: string, ch: string, _o: unknown, cmd: Command) => {
      const client = app.client(cmd);
      const items: ChannelEvent[] = [];
      for await (const e of paginate((cursor) => client.channels.history(name, ch, { cursor }))) items.push(e);
      app.print(cmd, items, () => (items.length ? eventRows(items) : 'no history'));
    });

  channel
    .command('at <name> <channel> <time>')
    .description('what was live at a time (ISO-8601 or 2h, 7d ago)')
    .action(async (name: string, ch: string, time: string, _o: unknown, cmd: Command) => {
      const res = await app.client(cmd).channels.at(name, ch, parseTime(time, new Date()));
      app.print(cmd, res, () => `${ch}: ${res.table.stable} (since ${short(res.event.at)}, seq ${res.event.seq}, ${res.event.kind} by ${res.event.author})`);
    });

  program
    .command('rollback <name> <channel>')
    .description('move a channel back (default: the previous stable version)')
    .option('--to <version>', 'target version')
    .option('--reason <text>', 'why (kept in the history)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', "admin only, with --reason: override a protected channel's gates and approvals (audited)")
    .action(async (name: string, ch: string, o: { to?: string; reason?: string; yes?: boolean; force?: boolean }, cmd: Command) => {
      const client = app.client(cmd);
      // An active rollout owns the channel: rolling back means aborting it (restores its previous table).
      if (await rollbackActiveRollout(app, cmd, name, ch, o, (q) => confirm(app, q))) return;
      const plan = await client.channels.rollback(name, ch, { to: o.to, reason: o.reason, dryRun: true });
      const line = `${ch}: ${stable(plan.from)} -> ${stable(plan.to)}`;
      if (app.globals(cmd).json) app.note(line);
      else app.io.stdout.write(`${line}\n`);
      if (!o.yes) {
        if (!app.io.stdin.isTTY) throw new UsageError(`refusing to roll back ${name} ${ch} without confirmation: not a terminal, pass --yes`);
        if (!(await confirm(app, `roll back ${name} ${ch} to ${stable(plan.to)}? [y/N] `))) {
          app.note('rollback cancelled');
          return;
        }
      }
      // Pin the confirmed target so a concurrent change cannot make us roll back somewhere else.
      const res = await client.channels.rollback(name, ch, { to: plan.to.stable, reason: o.reason, ...(o.force ? { force: true } : {}) });
      app.print(cmd, res, () => `rolled back ${name} ${ch}: ${stable(res.from)} -> ${stable(res.to)}`);
    });
}

async function confirm(app: App, question: string): Promise<boolean> {
  const rl = createInterface({ input: app.io.stdin, output: app.io.stderr as NodeJS.WritableStream, terminal: false });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
