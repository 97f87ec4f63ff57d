import type { Command } from 'commander';
import type { Role } from '@steward/client';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { short, table } from '../format.ts';

const ROLES: Role[] = ['viewer', 'publisher', 'approver', 'admin', 'node'];

export function registerTokenCommands(program: Command, app: App): void {
  const token = program.command('token').description('manage API tokens (admin)');

  token
    .command('create')
    .description('create a token; the secret is shown once')
    .requiredOption('--role <role>', ROLES.join('|'))
    .requiredOption('--name <name>', 'who or what uses it')
    .action(async (o: { role: string; name: string }, cmd: Command) => {
      if (!(ROLES as string[]).includes(o.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${o.role}"`);
      const t = await app.client(cmd).tokens.create({ name: o.name, role: o.role as Role });
      app.print(cmd, t, () => `${t.token}\n`);
      if (!app.globals(cmd).json) app.note(`created ${t.role} token ${t.id} (${t.name}); store the secret now, it is not shown again`);
    });

  token
    .command('list')
    .description('list tokens')
    .action(async (_o: unknown, cmd: Command) => {
      const items = await app.client(cmd).tokens.list();
      app.print(cmd, items, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
          items.map((t) => [t.id, t.name, t.role, short(t.createdAt), short(t.lastUsedAt), short(t.revokedAt)]),
        ),
      );
    });

  token
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await app.client(cmd).tokens.revoke(id);
      app.print(cmd, { id, revoked: true }, () => `revoked token ${id}`);
    });

  program
    .command('whoami')
    .description('show who the token belongs to')
    .action(async (_o: unknown, cmd: Command) => {
      const me = await app.client(cmd).whoami();
      app.print(cmd, me, () => `${me.name} (${me.role}, token ${me.id}) at ${app.globals(cmd).url}`);
    });
}
