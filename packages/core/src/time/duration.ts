/**
 * The one duration grammar of Steward's API, CLI and files: a non-negative decimal number and a
 * unit — `ms`, `s`, `m`, `h`, `d` or `w` — with optional spaces (`500ms`, `30s`, `1.5h`, `7d`, `2w`).
 * Where a bare number is also accepted, the caller says in which unit (`bare`); otherwise a unit
 * is required. Callers turn `undefined` into their own error (a 400 with a code, a CLI usage line).
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

const GRAMMAR = /^\s*(\d{1,15}(?:\.\d{1,9})?)\s*(ms|s|m|h|d|w)?\s*$/;

/** Milliseconds (rounded to a whole number), or undefined when `text` is not a duration. */
export function parseDurationMs(text: string, options: { bare?: DurationUnit } = {}): number | undefined {
  const m = GRAMMAR.exec(text);
  if (!m) return undefined;
  const unit = (m[2] as DurationUnit | undefined) ?? options.bare;
  if (unit === undefined) return undefined;
  const ms = Math.round(Number(m[1]) * UNIT_MS[unit]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** 600000 → `10m`, 1500 → `1500ms`: the largest unit that divides evenly, so it parses back exactly. */
export function formatDuration(ms: number): string {
  for (const [u, f] of [['w', UNIT_MS.w], ['d', UNIT_MS.d], ['h', UNIT_MS.h], ['m', UNIT_MS.m], ['s', UNIT_MS.s]] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${u}`;
  }
  return `${ms}ms`;
}
