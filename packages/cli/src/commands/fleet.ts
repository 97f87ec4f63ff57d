import type { Command } from 'commander';
import type { StewardClient } from '@steward/client';
import { parseDurationMs } from '@steward/core';
import type { App } from '../app.ts';
import { UsageError } from '../args.ts';
import { short, table } from '../format.ts';

type FleetNode = Awaited<ReturnType<StewardClient['fleet']['nodes']>>[number];

/** "2.0.0 ×3, 2.1.0 ×2" per model: who runs what, so version drift is visible at a glance. */
export function driftSummary(nodes: FleetNode[]): string[] {
  const by = new Map<string, Map<string, number>>();
  for (const n of nodes.filter((x) => x.live)) {
    for (const i of n.installed) {
      const m = by.get(i.model) ?? new Map<string, number>();
      m.set(i.version, (m.get(i.version) ?? 0) + 1);
      by.set(i.model, m);
    }
  }
  return [...by].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, m]) => `${model}: ${[...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([v, c]) => `${v} x${c}`).join(', ')}`);
}

export function registerFleetCommands(program: Command, app: App): void {
  const fleet = program.command('fleet').description('nodes running the agent, and fleet-wide transitions');

  fleet
    .command('nodes')
    .description('registered nodes: what each runs (flagged digests marked !), liveness and version drift')
    .option('--model <name>', 'only nodes serving this model')
    .action(async (o: { model?: string }, cmd: Command) => {
      const nodes = await app.client(cmd).fleet.nodes(o.model ? { model: o.model } : {});
      app.print(cmd, nodes, () => {
        if (nodes.length === 0) return 'no nodes registered: start an agent with a node token (steward token create NAME --role node)';
        const bad = (n: FleetNode, v: { model: string; version: string }) => n.flagged.some((f) => f.model === v.model && f.version === v.version);
        const rows = nodes.map((n) => [
          n.id,
          n.live ? 'live' : 'gone',
          [n.profile.platform, n.profile.arch].filter(Boolean).join('/') || '-',
          n.appVersion || '-',
          n.health,
          n.installed.map((i) => `${i.model}@${i.version}${bad(n, i) ? '!' : ''}`).join(' ') || '-',
          String(n.lastBlock),
          short(n.lastSeenAt),
        ]);
        const drift = driftSummary(nodes);
        return [table(['NODE', 'STATE', 'PLATFORM', 'APP', 'HEALTH', 'INSTALLED', 'BLOCK', 'LAST SEEN'], rows), '', 'live nodes per version:', ...(drift.length ? drift.map((d) => `  ${d}`) : ['  -'])].join('\n');
      });
    });

  fleet
    .command('desired <node>')
    .description("the tables a node should serve; with --wait, wait (long-poll) until they differ from --since")
    .option('--wait <duration>', 'hold until the tables change, at most this long ("30s", "500ms"; at most 60s)')
    .option('--since <etag>', 'the etag the node last saw (printed by this command and in heartbeat answers)')
    .action(async (node: string, o: { wait?: string; since?: string }, cmd: Command) => {
      if (!node) throw new UsageError('node id required');
      let waitMs: number | undefined;
      if (o.wait !== undefined) {
        waitMs = parseDurationMs(o.wait, { bare: 's' });
        if (waitMs === undefined || waitMs > 60_000) throw new UsageError(`--wait must be a duration from 0 to 60s such as 30s or 500ms (got "${o.wait}")`);
      }
      const res = await app.client(cmd).fleet.waitDesired(node, { ...(o.since ? { since: o.since } : {}), ...(waitMs !== undefined ? { waitMs } : {}) });
      app.print(cmd, res, () => {
        if (!res.changed) return `unchanged (etag ${res.etag})`;
        const t = res.tables;
        const rows = t.channels.map((c) => [
          `${c.model}/${c.channel}`,
          c.inForce?.stable ?? '-',
          c.history.map((h) => `${h.table.stable}@${h.usableFromBlock}`).join(' ') || '-',
          c.pending ? c.pending.table.stable : '-',
        ]);
        return `${table(['CHANNEL', 'IN FORCE', 'SCHEDULE (version@block)', 'PENDING'], rows)}\ncurrent block ${t.currentBlock}, etag ${t.etag}`;
      });
    });

  fleet
    .command('transitions <name>')
    .description("a model's fleet transitions, in queue order, with the block each switches at")
    .option('--channel <channel>', 'only this channel')
    .action(async (name: string, o: { channel?: string }, cmd: Command) => {
      if (!name) throw new UsageError('model name required');
      const res = await app.client(cmd).fleet.transitions(name, o.channel ? { channel: o.channel } : {});
      app.print(cmd, res, () => {
        if (res.items.length === 0) return `no transitions for ${name} (current block ${res.currentBlock})`;
        const rows = res.items.map((t) => [
          t.channel,
          t.kind,
          `${t.previousTable?.stable ?? '-'} -> ${t.table.stable}`,
          t.state === 'scheduled' && (t.usableFromBlock ?? 0) > res.currentBlock ? 'scheduled (upcoming)' : t.state,
          String(t.proposedAtBlock),
          t.usableFromBlock === null ? '-' : String(t.usableFromBlock),
          t.basis ?? '-',
          t.author,
        ]);
        return `${table(['CHANNEL', 'KIND', 'CHANGE', 'STATE', 'PROPOSED', 'USABLE FROM', 'BASIS', 'AUTHOR'], rows)}\ncurrent block ${res.currentBlock}`;
      });
    });
}
