import semver from 'semver';
import { InvalidInputError } from '../errors.ts';

export interface ParsedVersion {
  version: string;
  prerelease: boolean;
  /** Byte-order sortable key: comparing keys as strings (binary collation) equals semver precedence. */
  sortKey: string;
}

const MAX_PART = 9_999_999_999;
const pad = (n: number) => n.toString().padStart(10, '0');

/**
 * Parses a strict semver (no `v` prefix, no ranges). The sort key lets SQL order and paginate by
 * semver with a plain index: numbers are zero-padded; a release sorts after its prereleases
 * (`~` > `!`); prerelease identifiers sort numeric-before-alphanumeric as semver requires, and a
 * shorter identifier list sorts first because the separator `!` is below every identifier char.
 * Build metadata is ignored for precedence (and rejected, since two builds of one number would
 * otherwise collide).
 */
export function parseVersion(input: string): ParsedVersion {
  const v = semver.valid(input) === input ? semver.parse(input) : null;
  const tooBig = (n: string | number) => typeof n === 'number' && n > MAX_PART;
  if (!v || v.build.length > 0 || [v.major, v.minor, v.patch, ...v.prerelease].some(tooBig)) {
    throw new InvalidInputError(
      `invalid version "${input}": use semver MAJOR.MINOR.PATCH with an optional -prerelease, e.g. 1.4.2 or 2.0.0-rc.1`,
      { field: 'version', value: input },
      'invalid_version',
    );
  }
  const pre = v.prerelease.map((id) => (typeof id === 'number' ? `0${pad(id)}` : `1${id}`));
  const tail = pre.length === 0 ? '~' : `!${pre.join('!')}`;
  return {
    version: v.version,
    prerelease: pre.length > 0,
    sortKey: `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}${tail}`,
  };
}

export function assertRange(range: string): string {
  const r = semver.validRange(range);
  if (r === null) {
    throw new InvalidInputError(`invalid semver range "${range}"`, { field: 'range', value: range }, 'invalid_range');
  }
  return r;
}

export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: false });
}

export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}
