import { InvalidInputError, parseDurationMs } from '@steward/core';

/**
 * A positive duration of a rollout spec (core's grammar: `500ms`, `30s`, `10m`, `2h`, `1d`), or a
 * bare number of milliseconds → milliseconds. Throws InvalidInputError naming `path` otherwise.
 */
export function parseDuration(raw: string | number, path = 'duration'): number {
  const ms = typeof raw === 'number' ? (Number.isSafeInteger(raw) ? raw : undefined) : parseDurationMs(raw, { bare: 'ms' });
  if (ms !== undefined && ms > 0) return ms;
  throw new InvalidInputError(`${path}: expected a positive duration such as 30s, 10m or 2h (got ${JSON.stringify(raw)})`, { path });
}
