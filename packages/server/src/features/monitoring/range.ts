import { InvalidInputError } from '@steward/core';
import type { Range } from './monitoring.service.ts';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30m`, `1h`, `7d` (that long before `now`) or an ISO-8601 time. */
export function parseTimeArg(v: string, now: Date, field: string): Date {
  const m = /^(\d+)([smhdw])$/.exec(v);
  if (m) return new Date(now.getTime() - Number(m[1]) * (UNIT_MS[m[2] as string] as number));
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidInputError(`${field}: expected a duration like 1h or 7d, or an ISO-8601 time`, { [field]: v }, 'bad_time');
  return new Date(t);
}

export function parseRange(q: { since?: string | undefined; until?: string | undefined }, now: Date, defaultSince = '1d'): Range {
  const since = parseTimeArg(q.since ?? defaultSince, now, 'since');
  const until = q.until ? parseTimeArg(q.until, now, 'until') : new Date(now.getTime() + 1);
  if (!(since < until)) throw new InvalidInputError('since must be before until', { since: since.toISOString(), until: until.toISOString() }, 'bad_range');
  return { since, until };
}
