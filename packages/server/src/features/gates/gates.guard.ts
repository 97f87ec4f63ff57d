import { ForbiddenError, GateFailedError, InvalidInputError } from '@steward/core';
import { iso } from '../../lib/context.ts';
import { recordAudit } from '../audit/audit.ts';
import { approversOf } from '../approvals/approvals.service.ts';
import type { ChannelChange } from '../channels/channels.service.ts';
import { readPolicy } from '../policy/policy.service.ts';
import type { GatesDb } from './gates.tables.ts';
import type { ValidationReport } from './validation.service.ts';

/** Every version a routing table would serve: stable, a canary candidate, split arms, platform overrides. */
export function versionsInTable(table: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const visit = (t: Record<string, unknown> | undefined) => {
    if (!t) return;
    if (typeof t.stable === 'string') out.add(t.stable);
    const cand = t.candidate as { version?: unknown; arms?: { version?: unknown }[] } | undefined;
    if (typeof cand?.version === 'string') out.add(cand.version);
    for (const arm of cand?.arms ?? []) if (typeof arm.version === 'string') out.add(arm.version);
  };
  visit(table);
  for (const o of Object.values((table.overrides as Record<string, Record<string, unknown>> | undefined) ?? {})) visit(o);
  return [...out];
}

/**
 * The versions a move must justify: those the new table serves that the old one did not, plus the
 * new stable if it changed (promoting a candidate is checked again, under the current policy).
 * Raising a canary's weight or aborting back to the current stable introduces nothing new.
 */
export function versionsToCheck(from: Record<string, unknown> | null, to: Record<string, unknown>): string[] {
  const before = new Set(from ? versionsInTable(from) : []);
  const out = versionsInTable(to).filter((v) => !before.has(v));
  if (typeof to.stable === 'string' && to.stable !== from?.stable && !out.includes(to.stable)) out.push(to.stable);
  return out;
}

export interface Blocker {
  version: string;
  /** Why: no report, a stale one (older policy), failing gates, or missing approvals. */
  reason: 'no_report' | 'stale_report' | 'gates_failed' | 'approvals_missing';
  report: string | null;
  failing: { gate: string; status: string; message: string }[];
  approvals?: { have: number; need: number; by: string[] };
}

/** What stands between `versions` and a protected channel; empty when the move may go ahead. */
export async function blockersFor(db: GatesDb, model: string, channel: string, versions: string[], opts: { acceptStale?: boolean } = {}): Promise<{ protected: boolean; blockers: Blocker[] }> {
  const policy = await readPolicy(db, model);
  const cp = policy?.policy.channels[channel];
  if (!policy || !cp) return { protected: false, blockers: [] };
  const blockers: Blocker[] = [];
  for (const version of versions) {
    const row = await db
      .selectFrom('validations')
      .innerJoin('models', 'models.id', 'validations.model_id')
      .select(['validations.report_json', 'validations.policy_digest'])
      .where('models.name', '=', model)
      .where('validations.version', '=', version)
      .where('validations.channel', '=', channel)
      .orderBy('validations.created_at', 'desc')
      .orderBy('validations.id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const report = row ? (JSON.parse(row.report_json) as ValidationReport) : undefined;
    if (!report) blockers.push({ version, reason: 'no_report', report: null, failing: [] });
    else if (row!.policy_digest !== policy.digest && !(opts.acceptStale && report.status === 'pass')) blockers.push({ version, reason: 'stale_report', report: report.id, failing: [] });
    else if (report.status !== 'pass') {
      blockers.push({ version, reason: 'gates_failed', report: report.id, failing: report.gates.filter((g) => g.status !== 'pass').map((g) => ({ gate: g.gate, status: g.status, message: g.message })) });
    }
    if (cp.approvals > 0) {
      const by = await approversOf(db, model, version, channel);
      if (by.length < cp.approvals) blockers.push({ version, reason: 'approvals_missing', report: report?.id ?? null, failing: [], approvals: { have: by.length, need: cp.approvals, by } });
    }
  }
  return { protected: true, blockers };
}

function describe(model: string, channel: string, b: Blocker): string {
  const at = `${model}@${b.version}`;
  switch (b.reason) {
    case 'no_report':
      return `${at} has no validation report for ${channel} (run: steward validate ${at} --channel ${channel})`;
    case 'stale_report':
      return `${at}'s report for ${channel} predates the current policy (run: steward validate ${at} --channel ${channel})`;
    case 'gates_failed':
      return `${at} failed ${b.failing.map((f) => `${f.gate} (${f.status}: ${f.message})`).join(', ')}`;
    case 'approvals_missing':
      return `${at} has ${b.approvals!.have} of ${b.approvals!.need} approvals for ${channel} (steward approve ${at} --channel ${channel})`;
  }
}

/**
 * The channel guard: a protected channel may only take on versions with a passing report under
 * the current policy (any earlier policy for a rollback) and enough approvals. `force` skips that for an admin who gives a reason;
 * the channel event and audit row carry `force`, and `auditOverride` records what was bypassed.
 */
export function createGatesGuard(reader: GatesDb) {
  return async (change: ChannelChange): Promise<void> => {
    const versions = versionsToCheck(change.from as Record<string, unknown> | null, change.to as Record<string, unknown>);
    if (versions.length === 0) return;
    // A rollback returns to a version that passed before: a report under an older policy is enough.
    const { protected: isProtected, blockers } = await blockersFor(reader, change.model, change.channel, versions, { acceptStale: change.kind === 'rollback' });
    if (!isProtected || blockers.length === 0) return;
    if (change.force) {
      if (change.by.role !== 'admin') throw new ForbiddenError(`--force on a protected channel needs an admin token; ${change.by.name} is ${change.by.role}`, { role: change.by.role, needs: 'admin' });
      if (!change.reason.trim()) throw new InvalidInputError('--force needs a --reason: it is kept in the audit log', { field: 'reason' }, 'force_needs_reason');
      return;
    }
    const lines = blockers.map((b) => describe(change.model, change.channel, b));
    throw new GateFailedError(`${change.model}/${change.channel} is protected: ${lines.join('; ')}`, { model: change.model, channel: change.channel, blockers });
  };
}

/** After a forced move: one audit row naming what the override bypassed. */
export function createOverrideAuditor(db: GatesDb, now: () => Date) {
  return async (change: ChannelChange): Promise<void> => {
    if (!change.force) return;
    const versions = versionsToCheck(change.from as Record<string, unknown> | null, change.to as Record<string, unknown>);
    const { protected: isProtected, blockers } = await blockersFor(db, change.model, change.channel, versions, { acceptStale: change.kind === 'rollback' });
    if (!isProtected) return;
    await recordAudit(db, iso(now()), {
      actor: change.by.name,
      action: 'gates.override',
      target: `${change.model}/${change.channel}`,
      details: { to: change.to.stable, reason: change.reason, bypassed: blockers },
    });
  };
}
