import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseRulesText } from '@steward/core';
import type { App } from '../app.ts';
import { short, table } from '../format.ts';

export function registerRulesCommands(program: Command, app: App): void {
  const rules = program.command('rules').description('maintenance rules: when <condition> for <N windows> do <action>');

  rules
    .command('set <name> <file>')
    .description('replace the rules of a model with a YAML file')
    .action(async (name: string, file: string, _o: unknown, cmd: Command) => {
      const res = await app.client(cmd).rules.set(name, readFileSync(resolve(app.io.cwd, file), 'utf8'));
      app.print(cmd, res, () => `${name}: ${res.rules.length} rule(s) set (${res.rules.map((r) => r.name).join(', ') || 'none'})`);
    });

  rules
    .command('lint <file>')
    .description('check a rules file without a server (the same checks as `rules set`); exit 1 on the first error')
    .action((file: string, _o: unknown, cmd: Command) => {
      const parsed = parseRulesText(readFileSync(resolve(app.io.cwd, file), 'utf8'));
      app.print(cmd, parsed, () =>
        parsed.rules.length === 0
          ? `${file}: no rules (setting it removes the model's rules)`
          : [`${file}: ${parsed.rules.length} rule(s) valid`, table(['RULE', 'CHANNEL', 'WHEN', 'FOR', 'DO'], parsed.rules.map((r) => [r.name, r.channel, r.when, `${r.for} x ${r.window}`, r.do]))].join('\n'),
      );
    });

  rules
    .command('get <name>')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await app.client(cmd).rules.get(name);
      app.print(cmd, res, () =>
        res.rules.length === 0
          ? `${name} has no rules: steward rules set ${name} rules.yaml`
          : table(['RULE', 'CHANNEL', 'WHEN', 'FOR', 'DO', 'ARMED', 'LAST FIRED'], res.rules.map((r) => {
            const s = res.state[r.name];
            return [r.name, r.channel, r.when, `${r.for} x ${r.window}`, r.do, s?.active ? 'no (waiting to clear)' : 'yes', short(s?.lastFiredAt)];
          })),
      );
    });

  rules
    .command('check <name>')
    .description('evaluate the rules now (the server also does every 30 s)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const res = await app.client(cmd).rules.evaluate(name);
      app.print(cmd, res, () => table(['RULE', 'VERSION', 'WINDOWS', 'RESULT'], res.outcomes.map((o) => [
        o.rule, o.version ?? '-', String(o.evaluatedWindows.length),
        o.fired ? `FIRED ${JSON.stringify(o.result)}` : o.cleared ? 'cleared (re-armed)' : o.skipped ? `skipped: ${o.skipped}` : 'quiet',
      ])));
    });

  rules
    .command('deliveries <name>')
    .description('webhook delivery log, newest first')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { items } = await app.client(cmd).rules.deliveries(name);
      app.print(cmd, items, () => (items.length ? table(['AT', 'RULE', 'URL', 'STATUS', 'ATTEMPTS', 'ERROR'], items.map((d) => [short(d.at), d.rule, d.url, d.status, String(d.attempts), d.lastError ?? '-'])) : 'no deliveries'));
    });
}
