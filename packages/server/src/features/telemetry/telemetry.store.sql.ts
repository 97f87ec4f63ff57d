import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { fromJson, toJson } from '../../lib/json-cols.ts';
import { newId } from '../../lib/ids.ts';
import type { WindowCounts } from './aggregate.ts';

/** Row shape of `telemetry_windows` (migration 0003_rollouts). Times are ISO text. */
export interface TelemetryWindowsTable {
  id: string;
  model: string;
  channel: string;
  version: string;
  variant: string;
  arm: string;
  node: string;
  window_start: string;
  window_end: string;
  requests: number;
  errors: number;
  latency_json: string;
  counters_json: string;
  shadow_compared: number;
  shadow_agreed: number;
  received_at: string;
}

export interface TelemetryWindow extends WindowCounts {
  model: string;
  channel: string;
  version: string;
  variant: string;
  arm: string;
  node: string;
  start: string;
  end: string;
}

export interface WindowQuery {
  model: string;
  version: string;
  /** Windows whose end lies in (from, to]. */
  from: string;
  to: string;
  channel?: string;
  arm?: string;
}

export function createTelemetryStoreSql(kysely: Kysely<Database>) {
  const db = kysely as unknown as Kysely<{ telemetry_windows: TelemetryWindowsTable }>;
  return {
    async insert(windows: readonly TelemetryWindow[], receivedAt: string): Promise<void> {
      if (windows.length === 0) return;
      await db
        .insertInto('telemetry_windows')
        .values(
          windows.map((w) => ({
            id: newId('tel'),
            model: w.model,
            channel: w.channel,
            version: w.version,
            variant: w.variant,
            arm: w.arm,
            node: w.node,
            window_start: w.start,
            window_end: w.end,
            requests: w.requests,
            errors: w.errors,
            latency_json: toJson(w.latency ?? null),
            counters_json: toJson(w.counters),
            shadow_compared: w.shadowCompared,
            shadow_agreed: w.shadowAgreed,
            received_at: receivedAt,
          })),
        )
        .execute();
    },

    async windows(q: WindowQuery): Promise<WindowCounts[]> {
      let s = db
        .selectFrom('telemetry_windows')
        .select(['requests', 'errors', 'latency_json', 'counters_json', 'shadow_compared', 'shadow_agreed'])
        .where('model', '=', q.model)
        .where('version', '=', q.version)
        .where('window_end', '>', q.from)
        .where('window_end', '<=', q.to);
      if (q.channel !== undefined) s = s.where('channel', 'in', [q.channel, '']);
      if (q.arm !== undefined) s = s.where('arm', '=', q.arm);
      const rows = await s.limit(100_000).execute();
      return rows.map((r) => {
        const latency = fromJson<WindowCounts['latency'] | null>(r.latency_json, null);
        return {
          requests: Number(r.requests),
          errors: Number(r.errors),
          ...(latency ? { latency } : {}),
          counters: fromJson<Record<string, number>>(r.counters_json, {}),
          shadowCompared: Number(r.shadow_compared),
          shadowAgreed: Number(r.shadow_agreed),
        };
      });
    },

    /** Whether any window of `model` ever reported counter `name` (for "nobody reports it" checks). */
    async hasCounter(model: string, name: string): Promise<boolean> {
      const rows = await db.selectFrom('telemetry_windows').select('counters_json').where('model', '=', model).orderBy('window_end', 'desc').limit(1000).execute();
      return rows.some((r) => Object.hasOwn(fromJson<Record<string, number>>(r.counters_json, {}), name));
    },
  };
}

export type TelemetryStore = ReturnType<typeof createTelemetryStoreSql>;
