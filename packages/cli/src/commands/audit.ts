import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { type BlockWithEvents, StewardError, verifyChain } from '@steward/core';
import type { StewardClient } from '@steward/client';
import type { App } from '../app.ts';
import { kv, short, table } from '../format.ts';

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface AuditVerdict {
  ok: boolean;
  blocks: number;
  events: number;
  headHash: string | null;
  firstBadHeight?: number;
  fault?: string;
  reason?: string;
}

/**
 * Walks the whole block log page by page and checks every block against the one before it
 * (events root, prev hash, block hash) with core's verifyChain. Pages chain through `anchor`.
 * Without `expectHead`, dropping the newest blocks cannot be seen: record the head hash it prints.
 */
export async function verifyAuditChain(client: StewardClient, opts: { expectHead?: string; pageSize?: number } = {}): Promise<AuditVerdict> {
  let after = -1;
  let anchor: { height: number; hash: string } | undefined;
  let blocks = 0;
  let events = 0;
  for (;;) {
    const page = await client.chain.blocks({ after, limit: opts.pageSize ?? 500 });
    if (page.items.length === 0) break;
    const v = verifyChain(page.items as BlockWithEvents[], sha256Hex, anchor ? { anchor } : {});
    if (!v.ok) return { ok: false, blocks, events, headHash: anchor?.hash ?? null, firstBadHeight: v.firstBadHeight, fault: v.fault, reason: v.reason };
    blocks += v.blocks;
    events += v.events;
    const last = page.items[page.items.length - 1]!.block;
    anchor = { height: last.height, hash: last.hash };
    after = last.height;
  }
  const headHash = anchor?.hash ?? null;
  if (opts.expectHead && opts.expectHead !== headHash) {
    return { ok: false, blocks, events, headHash, fault: 'head_mismatch', reason: `the chain ends at ${headHash ?? 'nothing'}, not at the expected head ${opts.expectHead}: newest blocks are missing or replaced` };
  }
  return { ok: true, blocks, events, headHash };
}

export function registerAuditCommands(program: Command, app: App): void {
  const audit = program.command('audit').description('the tamper-evident audit log (hash-chained blocks)');

  audit
    .command('verify')
    .description('walk the block log and fail on any edited, removed or reordered event or block')
    .option('--expect-head <hash>', 'also fail unless the chain ends at this block hash (from an earlier run)')
    .action(async (o: { expectHead?: string }, cmd: Command) => {
      const v = await verifyAuditChain(app.client(cmd), o.expectHead ? { expectHead: o.expectHead } : {});
      app.print(cmd, v, () =>
        v.ok
          ? `ok: ${v.blocks} blocks, ${v.events} events verified; head ${v.headHash ?? '(empty)'}`
          : `TAMPERED: ${v.reason} (${v.fault}); ${v.blocks} blocks before it verified`,
      );
      if (!v.ok) throw new StewardError('chain_tampered', `audit chain verification failed at block ${v.firstBadHeight ?? '?'}`, 0, { fault: v.fault });
    });

  audit
    .command('log')
    .description('audit events, newest first, with the block each was sealed in')
    .option('--limit <n>', 'how many (default 50)', '50')
    .option('--action <action>', 'e.g. channel.set, model.create, token.create')
    .option('--target <target>', 'e.g. fraud/production')
    .option('--actor <name>')
    .action(async (o: { limit: string; action?: string; target?: string; actor?: string }, cmd: Command) => {
      const items = await app.client(cmd).chain.events({ limit: Number(o.limit), ...(o.action ? { action: o.action } : {}), ...(o.target ? { target: o.target } : {}), ...(o.actor ? { actor: o.actor } : {}) });
      app.print(cmd, items, () =>
        items.length === 0 ? 'no audit events' : table(['AT', 'BLOCK', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'], items.map((e) => [short(e.at), e.block === null ? 'unsealed' : String(e.block), e.actor, e.action, e.target, kv(e.details)])),
      );
    });
}
