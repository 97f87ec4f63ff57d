import semver from 'semver';
import { InvalidInputError } from '../errors.ts';
import { isKnownOperator } from './constraints.ts';
import { OPERATORS } from './types.ts';
import type { Constraint, DownloadConditions } from './types.ts';

/** Throw InvalidInputError naming the bad field: `routing table: <path> <problem>`. */
export function fail(path: string, problem: string, extra: Record<string, unknown> = {}): never {
  throw new InvalidInputError(`routing table: ${path} ${problem}`, { path, ...extra });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function expectRecord(v: unknown, path: string): Record<string, unknown> {
  if (!isRecord(v)) fail(path, `must be an object (got ${describe(v)})`);
  return v;
}

/** Reject unknown keys: a typo such as `candiate` must not silently mean "no candidate". */
export function onlyKeys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(path === '' ? k : `${path}.${k}`, `is not a known field (expected one of ${allowed.join(', ')})`);
  }
}

export function expectString(v: unknown, path: string): string {
  if (typeof v !== 'string' || v === '') fail(path, `must be a non-empty string (got ${describe(v)})`);
  return v;
}

export function expectBps(v: unknown, path: string, max = 10_000): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    fail(path, `must be an integer number of basis points 0..${max} (got ${describe(v)})`);
  }
  return v;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return typeof v;
  }
}

function isScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

export function validateConstraints(v: unknown, path: string): Constraint[] {
  if (!Array.isArray(v)) fail(path, `must be a list of constraints (got ${describe(v)})`);
  v.forEach((raw, i) => {
    const p = `${path}[${i}]`;
    const c = expectRecord(raw, p);
    onlyKeys(c, p, ['attribute', 'op', 'value']);
    expectString(c.attribute, `${p}.attribute`);
    if (!isKnownOperator(c.op)) fail(`${p}.op`, `is an unknown operator ${describe(c.op)}; use one of ${OPERATORS.join(', ')}`, { op: c.op });
    const vp = `${p}.value`;
    const value = c.value;
    switch (c.op) {
      case 'in':
      case 'notIn':
        if (!Array.isArray(value) || value.length === 0 || !value.every(isScalar)) {
          fail(vp, `must be a non-empty list of strings, numbers or booleans (got ${describe(value)})`);
        }
        break;
      case 'eq':
      case 'neq':
        if (!isScalar(value)) fail(vp, `must be a string, number or boolean (got ${describe(value)})`);
        break;
      case 'semver':
        if (typeof value !== 'string' || semver.validRange(value) === null) fail(vp, `must be a semver range such as ">=2.3.0 <3" (got ${describe(value)})`);
        break;
      default:
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(vp, `must be a finite number (got ${describe(value)})`);
    }
  });
  return v as Constraint[];
}

export function validateDownload(v: unknown, path: string): Record<string, DownloadConditions> {
  const byPlatform = expectRecord(v, path);
  for (const [platform, raw] of Object.entries(byPlatform)) {
    const p = `${path}.${platform}`;
    const d = expectRecord(raw, p);
    onlyKeys(d, p, ['unmeteredOnly', 'chargingOnly', 'idleOnly', 'maxBytes']);
    for (const flag of ['unmeteredOnly', 'chargingOnly', 'idleOnly'] as const) {
      if (d[flag] !== undefined && typeof d[flag] !== 'boolean') fail(`${p}.${flag}`, `must be true or false (got ${describe(d[flag])})`);
    }
    const max = d.maxBytes;
    if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0)) {
      fail(`${p}.maxBytes`, `must be a positive integer number of bytes (got ${describe(max)})`);
    }
  }
  return byPlatform as Record<string, DownloadConditions>;
}
