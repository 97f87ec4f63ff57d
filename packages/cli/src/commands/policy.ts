import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../app.ts';
import { short } from '../format.ts';

export function registerPolicyCommands(program: Command, app: App): void {
  const policy = program.command('policy').description("a model's protected channels, gates and approvals");

  policy
    .command('set <name> <file>')
    .description('replace the policy from a YAML file (admin); errors name the line')
    .action(async (name: string, file: string, _o: unknown, cmd: Command) => {
      const yaml = file === '-' ? await readStdin(app) : readFileSync(resolve(app.io.cwd, file), 'utf8');
      const p = await app.client(cmd).policy.set(name, yaml);
      app.print(cmd, p, () => {
        const chans = Object.entries(p.policy.channels).map(([ch, c]) => `  ${ch}: ${c.gates.length} gate(s), ${c.approvals} approval(s)`);
        return [`policy of ${name} set (digest ${p.digest.slice(0, 12)})`, ...(chans.length ? chans : ['  no protected channels'])].join('\n');
      });
    });

  policy
    .command('get <name>')
    .description('print the policy YAML (with --json: the parsed policy too)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const p = await app.client(cmd).policy.get(name);
      app.print(cmd, p, () => `# ${name} policy, digest ${p.digest.slice(0, 12)}, ${short(p.updatedAt)} by ${p.updatedBy}\n${p.yaml}`);
    });
}

async function readStdin(app: App): Promise<string> {
  let text = '';
  for await (const chunk of app.io.stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return text;
}
