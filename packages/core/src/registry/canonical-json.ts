import { InvalidInputError } from '../errors.ts';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units at every depth, no whitespace, arrays in
 * order, `undefined` members dropped. Non-finite numbers are refused: they have no JSON form, so
 * two parties could not agree on the signed bytes.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidInputError('non-finite numbers cannot be signed', { value: String(value) });
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new InvalidInputError(`cannot encode a ${typeof value} as canonical JSON`);
}
