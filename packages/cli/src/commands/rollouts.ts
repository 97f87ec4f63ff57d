import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import { StewardApiError, type RolloutStrategy, type RolloutView, type StartRollout } from '@steward/client';
import type { App } from '../app.ts';
import { collect, parseKeyValues, UsageError } from '../args.ts';
import { short, table } from '../format.ts';
import { parseAnalysisFile, parseConstraint, parseSteps } from './rollout-args.ts';
import { renderRollout } from './rollout-view.ts';

interface StartOpts {
  strategy: string;
  steps?: string;
  pause?: string;
  analysis?: string;
  split?: string;
  shadow?: string;
  atBlock?: string;
  atTime?: string;
  deadline?: string;
  constraint: string[];
  variant?: string;
  platformVariant: string[];
  download: string[];
  critical?: boolean;
  reason?: string;
}

const STRATEGIES = ['immediate', 'canary', 'ab', 'shadow', 'blue-green', 'scheduled'];

async function startBody(app: App, version: string, o: StartOpts): Promise<StartRollout> {
  if (!STRATEGIES.includes(o.strategy)) throw new UsageError(`--strategy must be one of ${STRATEGIES.join(', ')}`);
  const body: StartRollout = { version, strategy: o.strategy as RolloutStrategy };
  if (o.steps !== undefined) body.steps = parseSteps(o.steps, o.pause);
  else if (o.strategy === 'canary') throw new UsageError('a canary needs --steps, e.g. --steps 10,25,50,100 --pause 10m');
  if (o.analysis !== undefined) {
    const file = resolvePath(app.io.cwd, o.analysis);
    body.analysis = parseAnalysisFile(await readFile(file, 'utf8'), o.analysis);
  }
  if (o.split !== undefined) {
    const parts = o.split.split(',').map(Number);
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x))) throw new UsageError('--split takes two percentages, e.g. 50,50');
    body.split = [parts[0]!, parts[1]!];
  }
  if (o.shadow !== undefined) body.shadowPercent = Number(o.shadow);
  if (o.atBlock !== undefined || o.atTime !== undefined) body.at = { ...(o.atBlock !== undefined ? { block: Number(o.atBlock) } : {}), ...(o.atTime !== undefined ? { time: o.atTime } : {}) };
  if (o.deadline !== undefined) body.deadline = o.deadline;
  if (o.constraint.length) body.constraints = o.constraint.map(parseConstraint);
  if (o.variant !== undefined) body.variant = o.variant;
  if (o.platformVariant.length) body.platformVariants = parseKeyValues(o.platformVariant, 'platform variant');
  if (o.download.length) {
    body.download = {};
    for (const [platform, spec] of Object.entries(parseKeyValues(o.download, 'download condition'))) {
      const c: Record<string, boolean | number> = {};
      for (const part of spec.split(',')) {
        const [k, v] = part.split(':');
        if (k === 'unmetered') c.unmeteredOnly = true;
        else if (k === 'charging') c.chargingOnly = true;
        else if (k === 'idle') c.idleOnly = true;
        else if (k === 'maxBytes' && v !== undefined && Number.isSafeInteger(Number(v))) c.maxBytes = Number(v);
        else throw new UsageError(`--download ${platform}=${spec}: use unmetered, charging, idle, maxBytes:N (comma-separated)`);
      }
      body.download[platform] = c;
    }
  }
  if (o.critical) body.critical = true;
  if (o.reason !== undefined) body.reason = o.reason;
  return body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `status` on a terminal redraws every second until the rollout ends or Ctrl-C; piped, or with
 * --json or --once, it prints once. A redraw clears the screen (ANSI), so nothing scrolls.
 */
async function showStatus(app: App, cmd: Command, name: string, ch: string, o: { once?: boolean; interval?: string }): Promise<void> {
  const client = app.client(cmd);
  let r = await client.rollouts.status(name, ch);
  const live = app.io.stdout.isTTY === true && !app.globals(cmd).json && !o.once;
  if (!live) return app.print(cmd, r, () => renderRollout(r));
  const every = Number(o.interval ?? 1000);
  let stop = false;
  const onSigint = () => (stop = true);
  process.once('SIGINT', onSigint);
  try {
    for (;;) {
      app.io.stdout.write(`\x1b[H\x1b[2J${renderRollout(r)}\n${r.active ? `\n(refreshing every ${every / 1000}s; Ctrl-C to stop)` : ''}\n`);
      if (!r.active || stop) return;
      await sleep(every);
      if (stop) return;
      r = await client.rollouts.get(r.id);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function registerRolloutCommands(program: Command, app: App): void {
  const rollout = program.command('rollout').description('move a channel to a new version step by step (canary, A/B, shadow, blue-green, scheduled)');

  rollout
    .command('start <name> <channel> <version>')
    .description('start a rollout, e.g. --strategy canary --steps 10,25,50,100 --pause 10m --analysis checks.yaml')
    .option('--strategy <strategy>', STRATEGIES.join(' | '), 'canary')
    .option('--steps <percents>', 'canary weights, e.g. 10,25,50,100')
    .option('--pause <duration>', 'pause between steps (30s, 10m, 2h, or "manual" = until steward rollout resume)')
    .option('--analysis <file>', 'analysis (YAML or JSON: successCondition, failureCondition, failureLimit, interval, count)')
    .option('--split <a,b>', 'ab: percentages of old (a) and new (b), e.g. 50,50')
    .option('--shadow <percent>', 'shadow: share of requests mirrored to the new version')
    .option('--at-block <height>', 'scheduled: apply at this block height')
    .option('--at-time <iso>', 'scheduled: apply at this time')
    .option('--deadline <time>', 'flag the rollout if still running after this (ISO or 2h, 1d from now)')
    .option('--constraint <expr>', 'step constraint "ATTR OP VALUE", e.g. "region in eu,us" (repeatable)', collect, [])
    .option('--variant <name>', 'variant of the new version for every platform')
    .option('--platform-variant <platform=variant>', 'variant per platform, e.g. android=int8 (repeatable)', collect, [])
    .option('--download <platform=conditions>', 'download conditions per platform, e.g. android=unmetered,charging (repeatable)', collect, [])
    .option('--critical', 'clients ignore download conditions (security fix)')
    .option('--reason <text>', 'why (kept in the channel history)')
    .action(async (name: string, ch: string, version: string, o: StartOpts, cmd: Command) => {
      const r = await app.client(cmd).rollouts.start(name, ch, await startBody(app, version, o));
      app.print(cmd, r, () => `started ${r.id}\n${renderRollout(r)}`);
    });

  rollout
    .command('status <name> <channel>')
    .description('the active (else latest) rollout; live on a terminal until it ends')
    .option('--once', 'print once even on a terminal')
    .option('--interval <ms>', 'refresh interval of the live view', '1000')
    .action((name: string, ch: string, o: { once?: boolean; interval?: string }, cmd: Command) => showStatus(app, cmd, name, ch, o));

  rollout
    .command('list <name> <channel>')
    .description('rollouts of a channel, newest first')
    .action(async (name: string, ch: string, _o: unknown, cmd: Command) => {
      const items = await app.client(cmd).rollouts.list(name, ch);
      app.print(cmd, items, () => (items.length === 0 ? 'no rollouts' : table(['ID', 'STRATEGY', 'CHANGE', 'STATE', 'STARTED', 'BY'], items.map((r) => [r.id, r.strategy, `${r.previousTable.stable} -> ${r.version}`, r.state, short(r.createdAt), r.createdBy]))));
    });

  for (const action of ['pause', 'resume', 'promote', 'abort'] as const) {
    const what = { pause: 'pause (the controller stops advancing)', resume: 'resume a paused rollout', promote: 'finish now: everyone on the new version', abort: 'stop and restore the table from before the rollout' }[action];
    rollout
      .command(`${action} <name> <channel>`)
      .description(what)
      .option('--reason <text>', 'why (kept in the channel history)')
      .action(async (name: string, ch: string, o: { reason?: string }, cmd: Command) => {
        const r = await app.client(cmd).rollouts[action](name, ch, o.reason);
        app.print(cmd, r, () => `${action}: ${r.id} is ${r.state}\n  ${r.message}`);
      });
  }
}

/**
 * `steward rollback` while a rollout is active: aborting it restores the table from before the
 * rollout. Shows the change and asks (unless --yes); with --to, a plain rollback to that version
 * follows if it differs. Returns false when there is no active rollout (the caller rolls back).
 */
export async function rollbackActiveRollout(
  app: App,
  cmd: Command,
  name: string,
  ch: string,
  o: { to?: string; reason?: string; yes?: boolean },
  confirm: (question: string) => Promise<boolean>,
): Promise<boolean> {
  const client = app.client(cmd);
  let r: RolloutView;
  try {
    r = await client.rollouts.status(name, ch);
  } catch (err) {
    if (err instanceof StewardApiError && err.status === 404) return false;
    throw err;
  }
  if (!r.active) return false;
  const target = o.to ?? r.previousTable.stable;
  const line = `${ch}: abort rollout ${r.id} (${r.strategy} ${r.previousTable.stable} -> ${r.version}, ${r.state}); restores ${r.previousTable.stable}${target !== r.previousTable.stable ? `, then rolls back to ${target}` : ''}`;
  if (app.globals(cmd).json) app.note(line);
  else app.io.stdout.write(`${line}\n`);
  if (!o.yes) {
    if (!app.io.stdin.isTTY) throw new UsageError(`refusing to roll back ${name} ${ch} without confirmation: not a terminal, pass --yes`);
    if (!(await confirm(`abort rollout ${r.id} on ${name} ${ch}? [y/N] `))) {
      app.note('rollback cancelled');
      return true;
    }
  }
  const aborted = await client.rollouts.abort(name, ch, o.reason ?? 'rollback');
  if (target !== aborted.previousTable.stable) {
    const res = await client.channels.rollback(name, ch, { to: target, ...(o.reason ? { reason: o.reason } : {}) });
    app.print(cmd, { rollout: aborted, rollback: res }, () => `aborted ${aborted.id} and rolled back ${name} ${ch} to ${target}`);
  } else {
    app.print(cmd, aborted, () => `aborted ${aborted.id}: ${name} ${ch} is back on ${aborted.previousTable.stable}`);
  }
  return true;
}
