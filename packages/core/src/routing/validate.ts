import semver from 'semver';
import { BUCKETS } from './bucket.ts';
import { describe, expectBps, expectRecord, expectString, fail, onlyKeys, validateConstraints, validateDownload } from './validate-parts.ts';
import type { RoutingTable } from './types.ts';

export interface ValidateOptions {
  /** Versions of the model; when given, every version the table names must be in it. */
  knownVersions?: readonly string[];
  /** Variants per version; when a version is listed, every variant it may be served with must be. */
  knownVariants?: Readonly<Record<string, readonly string[]>>;
}

const TABLE_KEYS = ['stable', 'candidate', 'variants', 'download'] as const;
const RESERVED_ARMS = new Set(['stable', 'candidate']);

/**
 * Check an untrusted value is a routing table and return it typed. Throws InvalidInputError whose
 * message and `details.path` name the bad field (`candidate.arms[1].weightBps`). Catches: missing
 * or non-semver versions, unknown versions and variants, weights outside 0..10000, arm weights
 * summing past 10000, overlapping arms, unknown constraint operators, bad values, unknown fields.
 * Zod-free so it runs anywhere core runs.
 */
export function validateRoutingTable(t: unknown, opts: ValidateOptions = {}): RoutingTable {
  const o = expectRecord(t, 'table');
  onlyKeys(o, '', [...TABLE_KEYS, 'overrides']);
  validatePlatformTable(o, '', opts);
  if (o.overrides !== undefined) {
    const overrides = expectRecord(o.overrides, 'overrides');
    for (const [platform, sub] of Object.entries(overrides)) {
      const p = `overrides.${platform}`;
      const s = expectRecord(sub, p);
      onlyKeys(s, p, TABLE_KEYS);
      validatePlatformTable(s, `${p}.`, opts);
    }
  }
  return t as RoutingTable;
}

function validatePlatformTable(o: Record<string, unknown>, prefix: string, opts: ValidateOptions): void {
  const stable = version(o.stable, `${prefix}stable`, opts);
  let variants: Record<string, unknown> | undefined;
  if (o.variants !== undefined) {
    variants = expectRecord(o.variants, `${prefix}variants`);
    for (const [platform, v] of Object.entries(variants)) expectString(v, `${prefix}variants.${platform}`);
  }
  // Variants a version may be served with when nothing pins one: the map's values, plus
  // 'default' for platforms the map does not cover.
  const mapped = variants === undefined ? ['default'] : [...new Set([...Object.values(variants) as string[], ...('*' in variants ? [] : ['default'])])];
  const checkVariants = (v: string, list: readonly string[], path: string): void => {
    const known = opts.knownVariants?.[v];
    if (known === undefined) return;
    for (const name of list) {
      if (!known.includes(name)) fail(path, `uses variant "${name}" that version ${v} does not have (has ${known.join(', ') || 'none'})`, { version: v, variant: name });
    }
  };
  checkVariants(stable, mapped, `${prefix}variants`);
  if (o.download !== undefined) validateDownload(o.download, `${prefix}download`);
  if (o.candidate === undefined) return;

  const cp = `${prefix}candidate`;
  const c = expectRecord(o.candidate, cp);
  expectString(c.rolloutId, `${cp}.rolloutId`);
  if (c.constraints !== undefined) validateConstraints(c.constraints, `${cp}.constraints`);
  if ('arms' in c === 'version' in c) fail(cp, 'must have either "version" and "weightBps" (canary) or "arms" (A/B/n), not both or neither');
  if ('version' in c) {
    onlyKeys(c, cp, ['rolloutId', 'constraints', 'version', 'weightBps', 'variant']);
    const v = version(c.version, `${cp}.version`, opts);
    expectBps(c.weightBps, `${cp}.weightBps`);
    if (c.variant !== undefined) checkVariants(v, [expectString(c.variant, `${cp}.variant`)], `${cp}.variant`);
    else checkVariants(v, mapped, `${prefix}variants`);
    return;
  }
  onlyKeys(c, cp, ['rolloutId', 'constraints', 'arms']);
  if (!Array.isArray(c.arms) || c.arms.length === 0) fail(`${cp}.arms`, `must be a non-empty list (got ${describe(c.arms)})`);
  const names = new Set<string>();
  let total = 0;
  let withStart = 0;
  const ranges: Array<{ name: string; start: number; end: number }> = [];
  c.arms.forEach((raw: unknown, i: number) => {
    const ap = `${cp}.arms[${i}]`;
    const a = expectRecord(raw, ap);
    onlyKeys(a, ap, ['name', 'version', 'variant', 'weightBps', 'startBps']);
    const name = expectString(a.name, `${ap}.name`);
    if (RESERVED_ARMS.has(name)) fail(`${ap}.name`, `"${name}" is reserved; pick another arm name`);
    if (names.has(name)) fail(`${ap}.name`, `"${name}" is used by another arm`);
    names.add(name);
    const v = version(a.version, `${ap}.version`, opts);
    const w = expectBps(a.weightBps, `${ap}.weightBps`);
    if (a.variant !== undefined) checkVariants(v, [expectString(a.variant, `${ap}.variant`)], `${ap}.variant`);
    else checkVariants(v, mapped, `${prefix}variants`);
    const start = a.startBps === undefined ? total : expectBps(a.startBps, `${ap}.startBps`, BUCKETS - 1);
    if (a.startBps !== undefined) {
      withStart++;
      // Implicit layouts can only run past the end by summing past 10000, reported below.
      if (start + w > BUCKETS) fail(`${ap}`, `range ${start}..${start + w} runs past ${BUCKETS} buckets`);
    }
    ranges.push({ name, start, end: start + w });
    total += w;
  });
  if (total > BUCKETS) fail(`${cp}.arms`, `weights sum to ${total} bps, more than ${BUCKETS} (the rest, if any, goes to stable)`, { total });
  if (withStart !== 0 && withStart !== c.arms.length) fail(`${cp}.arms`, 'must give startBps on every arm or on none');
  const sorted = ranges.filter((r) => r.end > r.start).sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.end) fail(`${cp}.arms`, `arms "${prev.name}" and "${cur.name}" overlap at bucket ${cur.start}`);
  }
}

function version(v: unknown, path: string, opts: ValidateOptions): string {
  const s = expectString(v, path);
  if (semver.valid(s) !== s) fail(path, `must be a semver version such as 1.4.2 (got ${describe(s)})`);
  if (opts.knownVersions !== undefined && !opts.knownVersions.includes(s)) fail(path, `names unknown version ${s}`, { version: s });
  return s;
}
