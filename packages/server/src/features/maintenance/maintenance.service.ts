/**
 * Maintenance rules: `when` a condition holds on the last `for` complete windows of the version a
 * channel serves, `do` an action — rollback, notify, queue-labels or retrain — then stay quiet until
 * the `clear` condition holds on a window (hysteresis) and the cooldown has passed. Every action is
 * an audit event naming the rule.
 */
import { spawn } from 'node:child_process';
import type { Kysely } from 'kysely';
import { holds, mergeWindowSummaries, mulberry32, NotFoundError, parseCondition, uncertainty, type SampleRow } from '@steward/core';
import type { LabelStatus, QueuedLabel, RuleOutcome, RuleState } from '@steward/core/api';
import type { Database } from '../../db/schema.ts';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import { recordAudit } from '../audit/audit.ts';
import type { ChannelService } from '../channels/channels.service.ts';
import type { MonitoringTables } from '../monitoring/monitoring.migration.ts';
import type { MonitoringService } from '../monitoring/monitoring.service.ts';
import { GRANULARITY_MS } from '../monitoring/monitoring.store.sql.ts';
import { durationMs, parseRulesText, type Rule, type RulesFile } from './rules-file.ts';
import { deliver, type FetchLike } from './webhook.ts';
import { windowLookup } from './window-lookup.ts';

export const MAINTENANCE_PRINCIPAL: Principal = { id: 'maintenance', name: 'maintenance', role: 'admin' };

export type { RuleOutcome };

interface Deps {
  db: Kysely<Database>;
  monitoring: MonitoringService;
  channels: Pick<ChannelService, 'get' | 'rollback'>;
  /** Pause or abort the channel's active rollout (the rollouts feature); absent in some tests. */
  rolloutAction?: (model: string, channel: string, action: 'pause' | 'abort', reason: string, by: Principal) => Promise<unknown>;
  modelExists: (name: string) => Promise<unknown>;
  now: () => Date;
  env?: Record<string, string | undefined>;
  fetch?: FetchLike;
  webhookBaseDelayMs?: number;
  log?: (msg: string, err?: unknown) => void;
}

export function createMaintenanceService(deps: Deps) {
  const db = deps.db as unknown as Kysely<MonitoringTables & Database>;
  const env = deps.env ?? process.env;
  const random = mulberry32(42);

  async function rulesOf(model: string): Promise<{ file: RulesFile; source: string; updatedAt: string; updatedBy: string } | undefined> {
    const r = await db.selectFrom('maintenance_rules').selectAll().where('model', '=', model).executeTakeFirst();
    return r ? { file: JSON.parse(r.spec) as RulesFile, source: r.source, updatedAt: r.updated_at, updatedBy: r.updated_by } : undefined;
  }
  /** The rule's state, and the stored text it came from (null: no row yet) for `claimFiring`. */
  async function stateRow(model: string, rule: string): Promise<{ state: RuleState; text: string | null }> {
    const r = await db.selectFrom('maintenance_state').select('state').where('model', '=', model).where('rule', '=', rule).executeTakeFirst();
    return r ? { state: JSON.parse(r.state) as RuleState, text: r.state } : { state: { active: false, lastFiredAt: null }, text: null };
  }
  async function stateOf(model: string, rule: string): Promise<RuleState> {
    return (await stateRow(model, rule)).state;
  }
  async function saveState(model: string, rule: string, s: RuleState): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('maintenance_state').where('model', '=', model).where('rule', '=', rule).execute();
      await trx.insertInto('maintenance_state').values({ model, rule, state: JSON.stringify(s) }).execute();
    });
  }
  /**
   * Compare-and-set from the state this evaluation read to `next`: true for exactly one of the
   * servers (replicas, or overlapping ticks) that saw the rule armed, so one of them acts.
   */
  async function claimFiring(model: string, rule: string, seen: string | null, next: RuleState): Promise<boolean> {
    const text = JSON.stringify(next);
    if (seen === null) {
      const r = await db.insertInto('maintenance_state').values({ model, rule, state: text }).onConflict((oc) => oc.columns(['model', 'rule']).doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const r = await db.updateTable('maintenance_state').set({ state: text }).where('model', '=', model).where('rule', '=', rule).where('state', '=', seen).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
  async function logDelivery(model: string, rule: string, url: string, status: string, attempts: number, lastError: string | null, payload: unknown) {
    await db.insertInto('maintenance_deliveries').values({
      id: newId('dlv'), model, rule, url, status, attempts, last_error: lastError, payload: JSON.stringify(payload), at: iso(deps.now()),
    }).execute();
  }

  async function act(model: string, rule: Rule, version: string, windows: Array<{ start: string; summary: import('@steward/core').WindowSummary }>): Promise<unknown> {
    const payload = { model, channel: rule.channel, version, rule: rule.name, when: rule.when, windows: windows.map((w) => w.start), at: iso(deps.now()) };
    const secret = rule.secretEnv ? env[rule.secretEnv] : undefined;
    switch (rule.do) {
      case 'rollback': {
        const r = await deps.channels.rollback(model, rule.channel, { reason: `maintenance rule ${rule.name}: ${rule.when} for ${rule.for} x ${rule.window}` }, MAINTENANCE_PRINCIPAL);
        return { from: r.from.stable, to: r.to.stable };
      }
      case 'pause-rollout':
      case 'abort-rollout': {
        if (!deps.rolloutAction) throw new Error('rollouts are not wired into maintenance');
        const action = rule.do === 'pause-rollout' ? 'pause' : 'abort';
        await deps.rolloutAction(model, rule.channel, action, `maintenance rule ${rule.name}: ${rule.when} for ${rule.for} x ${rule.window}`, MAINTENANCE_PRINCIPAL);
        return { rollout: action };
      }
      case 'notify': {
        const out = await deliver(rule.webhook!, { event: 'maintenance.notify', ...payload }, { ...(secret ? { secret } : {}), ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.webhookBaseDelayMs !== undefined ? { baseDelayMs: deps.webhookBaseDelayMs } : {}) });
        await logDelivery(model, rule.name, rule.webhook!, out.status, out.attempts, out.lastError, payload);
        return out;
      }
      case 'queue-labels': {
        const merged = windows.reduce((a, w) => mergeWindowSummaries(a, w.summary, random), windows[0]!.summary);
        const o = rule.labels ?? { count: 50, method: 'entropy' as const };
        const scored = merged.reservoir.items
          .filter((r: SampleRow) => r.score !== undefined || r.probabilities)
          .map((r: SampleRow) => ({ r, u: uncertainty(r.probabilities ? Object.values(r.probabilities) : (r.score as number), o.method) }))
          .sort((a, b) => b.u - a.u)
          .slice(0, o.count);
        let queued = 0;
        for (const { r, u } of scored) {
          const res = await db.insertInto('label_queue')
            .values({ id: newId('lbl'), model, version, request_id: r.requestId, row: JSON.stringify(r), uncertainty: u, status: 'queued', rule: rule.name, created_at: iso(deps.now()) })
            .onConflict((oc) => oc.columns(['model', 'request_id']).doNothing())
            .executeTakeFirst();
          queued += Number(res.numInsertedOrUpdatedRows ?? 0);
        }
        return { queued, method: o.method };
      }
      case 'retrain': {
        if (rule.webhook) {
          const out = await deliver(rule.webhook, { event: 'maintenance.retrain', ...payload }, { ...(secret ? { secret } : {}), ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(deps.webhookBaseDelayMs !== undefined ? { baseDelayMs: deps.webhookBaseDelayMs } : {}) });
          await logDelivery(model, rule.name, rule.webhook, out.status, out.attempts, out.lastError, payload);
          return out;
        }
        const [cmd, ...args] = rule.command!;
        const child = spawn(cmd!, args, { detached: true, stdio: 'ignore', env: { ...process.env, STEWARD_MODEL: model, STEWARD_VERSION: version, STEWARD_CHANNEL: rule.channel, STEWARD_RULE: rule.name } });
        child.on('error', (e) => deps.log?.(`retrain command of rule ${rule.name} failed to start`, e));
        child.unref();
        await logDelivery(model, rule.name, `command:${cmd}`, 'started', 1, null, payload);
        return { started: cmd, pid: child.pid ?? null };
      }
    }
  }

  async function evaluateRule(model: string, rule: Rule, now: Date): Promise<RuleOutcome> {
    const out: RuleOutcome = { rule: rule.name, version: null, evaluatedWindows: [], fired: false, cleared: false };
    let version: string;
    try {
      version = (await deps.channels.get(model, rule.channel)).table.stable;
    } catch (e) {
      if (e instanceof NotFoundError) return { ...out, skipped: `channel ${rule.channel} is not set` };
      throw e;
    }
    out.version = version;
    const step = GRANULARITY_MS[rule.window];
    const lookback = (rule.for * 4 + 10) * step;
    const all = await deps.monitoring.windows(model, version, rule.window, { since: new Date(now.getTime() - lookback), until: now });
    const complete = all.filter((w) => Date.parse(w.end) <= now.getTime() && w.summary.count >= rule.minCount);
    const recent = complete.slice(-rule.for);
    out.evaluatedWindows = recent.map((w) => w.start);
    const ref = (await deps.monitoring.referenceOrUndefined(model, version))?.profile;
    const when = parseCondition(rule.when);
    const clear = rule.clear ? parseCondition(rule.clear) : undefined;
    const lookups = recent.map((w) => windowLookup(w.summary, ref, deps.monitoring.config.threshold));
    const { state, text: seen } = await stateRow(model, rule.name);
    if (state.active) {
      const last = lookups.at(-1);
      if (last && (clear ? holds(clear, last) : !holds(when, last))) {
        await saveState(model, rule.name, { ...state, active: false });
        out.cleared = true;
      }
      return out;
    }
    if (recent.length < rule.for || !lookups.every((l) => holds(when, l))) return out;
    if (state.lastFiredAt && now.getTime() - Date.parse(state.lastFiredAt) < durationMs(rule.cooldown)) return { ...out, skipped: 'cooldown' };
    const at = iso(now);
    if (!(await claimFiring(model, rule.name, seen, { active: true, lastFiredAt: at }))) return { ...out, skipped: 'fired by another server' };
    let result: unknown;
    try {
      result = await act(model, rule, version, recent);
    } catch (e) {
      result = { error: (e as Error).message };
    }
    await recordAudit(deps.db, at, {
      actor: MAINTENANCE_PRINCIPAL.name, action: `maintenance.${rule.do}`, target: `${model}/${rule.channel}`,
      details: { rule: rule.name, when: rule.when, version, windows: out.evaluatedWindows, result },
    });
    return { ...out, fired: true, result };
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  const api = {
    async setRules(model: string, text: string, by: Principal) {
      await deps.modelExists(model);
      const file = parseRulesText(text);
      const at = iso(deps.now());
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('maintenance_rules').where('model', '=', model).execute();
        await trx.insertInto('maintenance_rules').values({ model, spec: JSON.stringify(file), source: text, updated_at: at, updated_by: by.name }).execute();
        // New rules start disarmed-free: drop state of rules that no longer exist.
        const names = file.rules.map((r) => r.name);
        let q = trx.deleteFrom('maintenance_state').where('model', '=', model);
        if (names.length) q = q.where('rule', 'not in', names);
        await q.execute();
        await recordAudit(trx as never, at, { actor: by.name, action: 'maintenance.rules.set', target: model, details: { rules: names } });
      });
      return api.getRules(model);
    },
    async getRules(model: string) {
      await deps.modelExists(model);
      const r = await rulesOf(model);
      const rules = r?.file.rules ?? [];
      const state: Record<string, RuleState> = {};
      for (const rule of rules) state[rule.name] = await stateOf(model, rule.name);
      return { model, rules, source: r?.source ?? '', updatedAt: r?.updatedAt ?? null, updatedBy: r?.updatedBy ?? null, state };
    },
    /** Evaluate every rule of one model (or all models) now. */
    async tick(model?: string): Promise<Array<{ model: string; outcomes: RuleOutcome[] }>> {
      const now = deps.now();
      let q = db.selectFrom('maintenance_rules').select(['model', 'spec']);
      if (model) q = q.where('model', '=', model);
      const rows = await q.execute();
      const out = [];
      for (const r of rows) {
        const outcomes: RuleOutcome[] = [];
        for (const rule of (JSON.parse(r.spec) as RulesFile).rules) {
          try {
            outcomes.push(await evaluateRule(r.model, rule, now));
          } catch (e) {
            deps.log?.(`maintenance rule ${r.model}/${rule.name} failed`, e);
            outcomes.push({ rule: rule.name, version: null, evaluatedWindows: [], fired: false, cleared: false, skipped: (e as Error).message });
          }
        }
        out.push({ model: r.model, outcomes });
      }
      return out;
    },
    async deliveries(model: string, limit = 100) {
      const rows = await db.selectFrom('maintenance_deliveries').selectAll().where('model', '=', model).orderBy('at', 'desc').limit(limit).execute();
      return rows.map((d) => ({ id: d.id, rule: d.rule, url: d.url, status: d.status, attempts: d.attempts, lastError: d.last_error, payload: JSON.parse(d.payload), at: d.at }));
    },
    async labelQueue(model: string, status = 'queued', limit = 1000) {
      const rows = await db.selectFrom('label_queue').selectAll().where('model', '=', model).where('status', '=', status).orderBy('uncertainty', 'desc').limit(limit).execute();
      return rows.map((r) => ({ id: r.id, version: r.version, requestId: r.request_id, uncertainty: r.uncertainty, rule: r.rule, status: r.status as LabelStatus, createdAt: r.created_at, row: JSON.parse(r.row) as SampleRow }) satisfies QueuedLabel);
    },
    /** Labels become feedback events (joined like any other); queued rows are marked labelled. */
    async importLabels(model: string, labels: Array<{ requestId: string; label: 0 | 1 | boolean }>) {
      await deps.modelExists(model);
      const text = labels.map((l) => JSON.stringify({ type: 'feedback', model, requestId: l.requestId, label: l.label })).join('\n');
      const res = await deps.monitoring.ingest(text);
      const ids = labels.map((l) => l.requestId);
      for (let i = 0; i < ids.length; i += 500) {
        await db.updateTable('label_queue').set({ status: 'labelled' }).where('model', '=', model).where('request_id', 'in', ids.slice(i, i + 500)).execute();
      }
      return res;
    },
    start(intervalMs = 30_000) {
      if (timer) return;
      timer = setInterval(() => void api.tick().catch((e) => deps.log?.('maintenance tick failed', e)), intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return api;
}

export type MaintenanceService = ReturnType<typeof createMaintenanceService>;
