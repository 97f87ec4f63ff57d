import { InvalidInputError, parseDurationMs } from '@steward/core';
import type { Range } from './monitoring.service.ts';

/** `30m`, `1h`, `7d` (that long before `now`) or an ISO-8601 time. */
export function parseTimeArg(v: string, now: Date, field: string): Date {
  const ms = parseDurationMs(v);
  if (ms !== undefined) return new Date(now.getTime() - ms);
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
