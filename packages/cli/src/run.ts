import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { isStewardError } from '@steward/core';
import { App, DEFAULT_URL, type CliIo } from './app.ts';
import { UsageError } from './args.ts';
import { registerApproveCommands } from './commands/approve.ts';
import { registerChannelCommands } from './commands/channels.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerFleetCommands } from './commands/fleet.ts';
import { registerDatasetCommands } from './commands/datasets.ts';
import { registerEvaluateCommand } from './commands/evaluate.ts';
import { registerModelCommands } from './commands/models.ts';
import { registerPolicyCommands } from './commands/policy.ts';
import { registerPullCommands } from './commands/pull.ts';
import { registerCacheCommands } from './commands/cache.ts';
import { registerPushCommand } from './commands/push.ts';
import { registerRolloutCommands } from './commands/rollouts.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTokenCommands } from './commands/tokens.ts';
import { registerValidateCommand } from './commands/validate.ts';
import { registerVersionCommands } from './commands/versions.ts';
import { registerMonitorCommands } from './commands/monitor.ts';
import { registerDriftCommand } from './commands/drift.ts';
import { registerFairnessCommand } from './commands/fairness.ts';
import { registerRulesCommands } from './commands/rules.ts';
import { registerLabelCommands } from './commands/labels.ts';
import { registerStorageCommands } from './commands/storage.ts';

export type { CliIo } from './app.ts';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds a fresh command tree for one run (commander keeps parse state on the instances). */
export function buildProgram(app: App): Command {
  const program = new Command('steward')
    .description('Steward: model registry, gated rollouts, fleet transitions and monitoring')
    .option('--url <url>', `server URL (env STEWARD_URL, default ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env STEWARD_TOKEN; on loopback, <data>/admin.token)')
    .option('--json', 'print API objects as JSON')
    .version(version, '-V, --version', 'print the CLI version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void app.io.stdout.write(s),
      writeErr: (s) => void app.io.stderr.write(s),
    })
    .showHelpAfterError('(run steward --help for usage)');
  registerServeCommand(program, app);
  registerModelCommands(program, app);
  registerPushCommand(program, app);
  registerVersionCommands(program, app);
  registerChannelCommands(program, app);
  registerRolloutCommands(program, app);
  registerFleetCommands(program, app);
  registerAuditCommands(program, app);
  registerPullCommands(program, app);
  registerCacheCommands(program, app);
  registerTokenCommands(program, app);
  registerPolicyCommands(program, app);
  registerDatasetCommands(program, app);
  registerEvaluateCommand(program, app);
  registerValidateCommand(program, app);
  registerApproveCommands(program, app);
  registerMonitorCommands(program, app);
  registerDriftCommand(program, app);
  registerFairnessCommand(program, app);
  registerRulesCommands(program, app);
  registerLabelCommands(program, app);
  registerStorageCommands(program, app);
  return program;
}

/**
 * Runs the CLI in-process and resolves to its exit code: 0 ok, 1 failed, 2 usage error.
 * Errors are one line on stderr (`error: <message> (<code>)`), never a stack trace.
 *
 * @example
 * const out: string[] = [];
 * const code = await runCli(['model', 'list', '--json'], {
 *   env: { STEWARD_URL: url, STEWARD_TOKEN: token }, cwd: process.cwd(), stdin: process.stdin,
 *   stdout: { write: (s) => out.push(s) }, stderr: process.stderr,
 * });
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const app = new App(io);
  const program = buildProgram(app);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, io, app.globals(program).url);
  }
}

function reportError(err: unknown, io: CliIo, url: string): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander already printed it
  if (err instanceof UsageError) {
    io.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  if (isStewardError(err)) {
    const msg = err.code === 'unreachable' ? `cannot reach Steward at ${url}: is \`steward serve\` running?` : err.message;
    io.stderr.write(`error: ${msg} (${err.code})\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  io.stderr.write(`error: ${msg}${e?.code ? ` (${e.code})` : ''}\n`);
  return 1;
}
