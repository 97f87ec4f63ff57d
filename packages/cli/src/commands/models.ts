import type { Command } from 'commander';
import { paginate, type Model } from '@steward/client';
import type { App } from '../app.ts';
import { collect, parseKeyValues, UsageError } from '../args.ts';
import { kv, short, table } from '../format.ts';

const describe = (m: Model): string =>
  [
    `name:        ${m.name}${m.archived ? ' (archived)' : ''}`,
    `description: ${m.description || '-'}`,
    `tags:        ${kv(m.tags)}`,
    `latest:      ${m.latest ?? '-'}`,
    `versions:    ${m.versionCount}`,
    `created:     ${short(m.createdAt)}`,
    `updated:     ${short(m.updatedAt)}`,
  ].join('\n');

export function registerModelCommands(program: Command, app: App): void {
  const model = program.command('model').description('create, list, show and edit models');

  model
    .command('create <name>')
    .description('create a model (name or org/name)')
    .option('--description <text>', 'what the model does')
    .option('--tag <k=v>', 'tag, repeatable', collect, [])
    .action(async (name: string, o: { description?: string; tag: string[] }, cmd: Command) => {
      const m = await app.client(cmd).models.create({ name, description: o.description, tags: parseKeyValues(o.tag, 'tag') });
      app.print(cmd, m, () => `created model ${m.name}`);
    });

  model
    .command('list')
    .description('list models')
    .option('--archived', 'include archived models')
    .action(async (o: { archived?: boolean }, cmd: Command) => {
      const client = app.client(cmd);
      const items: Model[] = [];
      for await (const m of paginate((cursor) => client.models.list({ archived: o.archived, cursor }))) items.push(m);
      app.print(cmd, items, () =>
        items.length === 0
          ? 'no models yet: steward model create NAME'
          : table(
              ['NAME', 'LATEST', 'VERSIONS', 'UPDATED', 'DESCRIPTION'],
              items.map((m) => [m.name + (m.archived ? ' (archived)' : ''), m.latest ?? '-', String(m.versionCount), short(m.updatedAt), m.description]),
            ),
      );
    });

  model
    .command('show <name>')
    .description('show a model')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const m = await app.client(cmd).models.get(name);
      app.print(cmd, m, () => describe(m));
    });

  model
    .command('update <name>')
    .description('edit description and tags (tags merge)')
    .option('--description <text>', 'new description')
    .option('--tag <k=v>', 'set a tag, repeatable', collect, [])
    .option('--untag <k>', 'remove a tag, repeatable', collect, [])
    .action(async (name: string, o: { description?: string; tag: string[]; untag: string[] }, cmd: Command) => {
      const tags: Record<string, string | null> = parseKeyValues(o.tag, 'tag');
      for (const k of o.untag) tags[k] = null;
      if (o.description === undefined && Object.keys(tags).length === 0) throw new UsageError('nothing to update: pass --description, --tag or --untag');
      const m = await app.client(cmd).models.update(name, { description: o.description, tags });
      app.print(cmd, m, () => describe(m));
    });

  model
    .command('archive <name>')
    .description('archive a model (hidden from lists, versions kept)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const m = await app.client(cmd).models.update(name, { archived: true });
      app.print(cmd, m, () => `archived model ${m.name}`);
    });
}
