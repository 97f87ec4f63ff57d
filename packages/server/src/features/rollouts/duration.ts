import { InvalidInputError } from '@steward/core';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `500ms`, `30s`, `10m`, `2h`, `1d`, or a bare number of milliseconds → milliseconds.
 * Throws InvalidInputError naming `path` on anything else (including zero and negatives).
 */
export function parseDuration(raw: string | number, path = 'duration'): number {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw > 0) return raw;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw);
    if (m) {
      const ms = Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
      if (ms > 0 && Number.isSafeInteger(ms)) return ms;
    }
  }
  throw new InvalidInputError(`${path}: expected a positive duration such as 30s, 10m or 2h (got ${JSON.stringify(raw)})`, { path });
}

/** 600000 → `10m`; for status lines. */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  }
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${ms}ms`;
}
