import { InvalidInputError } from '../errors.ts';

/**
 * Canonical JSON: one byte string per value, so two machines hashing "the same event" agree.
 *
 * - Object keys sorted recursively by UTF-16 code units (`Array.prototype.sort` order, as in
 *   RFC 8785 JCS); no whitespace.
 * - Numbers and strings are written by `JSON.stringify`, whose ECMAScript number formatting is
 *   the one JCS specifies (shortest round-trip form, `-0` → `0`).
 * - Non-finite numbers, `bigint`, functions, symbols, `undefined` array items, cycles and
 *   non-plain objects (`Date`, `Map`, class instances) are rejected rather than silently
 *   coerced, because a coerced value would hash differently from what the caller meant.
 * - An object property whose value is `undefined` is omitted, as `JSON.stringify` does: an
 *   absent optional field and an `undefined` one are the same event.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** UTF-8 bytes of {@link canonicalJson}: what gets hashed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) reject(path, `non-finite number ${String(value)}`);
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      return writeObject(value, path, ancestors);
    default:
      return reject(path, `unsupported type ${typeof value}`);
  }
}

function writeObject(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) reject(path, 'cycle');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item: unknown, i) => {
        if (item === undefined) reject(`${path}[${i}]`, 'undefined array item');
        return write(item, `${path}[${i}]`, ancestors);
      });
      return `[${items.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) reject(path, 'not a plain object');
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(item, `${path}.${key}`, ancestors)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    // Only ancestors count as cycles; the same object twice side by side is fine.
    ancestors.delete(value);
  }
}

function reject(path: string, what: string): never {
  throw new InvalidInputError(`canonical JSON: ${what} at ${path}`, { path }, 'not_canonical_json');
}
