import type { Command } from 'commander';
import type { App } from '../app.ts';
import { parseModelRef } from '../args.ts';
import { short, table } from '../format.ts';

export function registerApproveCommands(program: Command, app: App): void {
  program
    .command('approve <name@version>')
    .description('approve a version for a protected channel (role approver or admin; not its author)')
    .requiredOption('--channel <channel>', 'channel the approval is for')
    .option('--comment <text>', 'kept with the approval')
    .action(async (target: string, o: { channel: string; comment?: string }, cmd: Command) => {
      const { model, ref } = parseModelRef(target);
      const a = await app.client(cmd).approvals.approve(model, ref, { channel: o.channel, ...(o.comment ? { comment: o.comment } : {}) });
      app.print(cmd, a, () => `approved ${a.model}@${a.version} for ${a.channel} as ${a.approver}`);
    });

  program
    .command('approvals <name@version>')
    .description('list approvals of a version')
    .option('--channel <channel>', 'only this channel')
    .action(async (target: string, o: { channel?: string }, cmd: Command) => {
      const { model, ref } = parseModelRef(target);
      const items = await app.client(cmd).approvals.list(model, ref, o.channel);
      app.print(cmd, items, () => (items.length ? table(['CHANNEL', 'APPROVER', 'AT', 'COMMENT'], items.map((a) => [a.channel, a.approver, short(a.createdAt), a.comment || '-'])) : 'no approvals'));
    });
}
