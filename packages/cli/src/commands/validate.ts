import type { Command } from 'commander';
import type { StewardClient } from '@steward/client';
import type { App } from '../app.ts';
import { parseModelRef } from '../args.ts';
import { short, table } from '../format.ts';

type Report = Awaited<ReturnType<StewardClient['validations']['run']>>;

const num = (x: unknown): string => (typeof x === 'number' ? String(Number(x.toPrecision(4))) : x === null || x === undefined ? '-' : JSON.stringify(x));
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Human rendering of a validation report: one line of verdict, one row per gate. */
export function describeReport(r: Report): string {
  const head = `${r.model}@${r.version} on ${r.channel}: ${r.status.toUpperCase()} (baseline ${r.baseline ?? '-'}, ${short(r.createdAt)} by ${r.createdBy}, report ${r.id})`;
  if (r.gates.length === 0) return `${head}\nno gates`;
  return `${head}\n${table(
    ['GATE', 'STATUS', 'VALUE', 'THRESHOLD', 'MESSAGE'],
    r.gates.map((g) => [g.gate, g.status, cut(num(g.value), 40), cut(num(g.threshold), 60), cut(g.message, 120)]),
  )}`;
}

export function registerValidateCommand(program: Command, app: App): void {
  program
    .command('validate <name@version>')
    .description("run a protected channel's gates on a version and store the report (exit 1 unless it passes)")
    .requiredOption('--channel <channel>', 'channel whose gates to run (from the model policy)')
    .action(async (target: string, o: { channel: string }, cmd: Command) => {
      const { model, ref } = parseModelRef(target);
      const r = await app.client(cmd).validations.run(model, ref, o.channel);
      app.print(cmd, r, () => describeReport(r));
      if (r.status !== 'pass') {
        const bad = r.gates.filter((g) => g.status !== 'pass').length;
        throw new ValidationFailed(`validation ${r.status}: ${bad} of ${r.gates.length} gate(s) did not pass`);
      }
    });

  program
    .command('report <name@version>')
    .description('show the latest validation report of a version')
    .option('--channel <channel>', 'only reports for this channel')
    .action(async (target: string, o: { channel?: string }, cmd: Command) => {
      const { model, ref } = parseModelRef(target);
      const r = await app.client(cmd).validations.latest(model, ref, o.channel);
      app.print(cmd, r, () => describeReport(r));
    });
}

/** Printed as one `error:` line with exit code 1 (not 2: the command was used correctly), so CI can gate on it. */
class ValidationFailed extends Error {}
