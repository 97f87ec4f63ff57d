import { InvalidInputError } from '@steward/core';

/** S3's own limit on key length, in UTF-8 bytes; we apply it to every backend so keys stay portable. */
const MAX_KEY_BYTES = 1024;
/** Common filesystem limit for one path component, in bytes. */
const MAX_SEGMENT_BYTES = 255;
/** First segment the filesystem store keeps for its temp files; reserved on every backend. */
export const RESERVED_TEMP_SEGMENT = '.tmp';

function reject(key: string, why: string, code = 'invalid_object_key'): never {
  throw new InvalidInputError(`invalid object key ${JSON.stringify(key)}: ${why}`, { key, reason: why }, code);
}

function checkCommon(key: string, segments: string[]): void {
  if (key.includes('\0')) reject(key, 'contains NUL');
  if (key.includes('\\')) reject(key, 'contains a backslash (use "/" as separator)');
  if (key.startsWith('/')) reject(key, 'must be relative (no leading "/")');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) reject(key, `longer than ${MAX_KEY_BYTES} bytes`);
  for (const s of segments) {
    if (s === '.' || s === '..') reject(key, 'contains a "." or ".." segment');
    if (Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES) reject(key, `a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segments[0] === RESERVED_TEMP_SEGMENT) reject(key, `"${RESERVED_TEMP_SEGMENT}" is reserved`);
}

/**
 * Throws InvalidInputError (code `invalid_object_key`) unless `key` is a portable object key:
 * non-empty `/`-separated segments, none empty, `.` or `..`, no backslash, no NUL, not absolute.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key === '') reject(String(key), 'empty');
  const segments = key.split('/');
  if (segments.some((s) => s === '')) reject(key, 'has an empty segment ("//" or a trailing "/")');
  checkCommon(key, segments);
}

/**
 * A list prefix may be empty, end in `/`, or stop mid-segment (`blobs/sha256/ab`); otherwise the
 * same rules as a key apply, so a prefix can never reach outside the store.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const segments = prefix.split('/');
  if (segments.slice(0, -1).some((s) => s === '')) reject(prefix, 'has an empty segment', 'invalid_object_prefix');
  checkCommon(prefix, segments.filter((s) => s !== ''));
}

/**
 * Orders keys by Unicode code point, which equals UTF-8 byte order: the order S3 lists in.
 * (Plain `<` compares UTF-16 code units and disagrees for astral characters.)
 */
export function compareKeys(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}
