/**
 * Canonical JSON, the exact bytes a manifest signature covers: object keys sorted by UTF-16 code
 * units (default `Array.prototype.sort`) at every depth, no whitespace, arrays kept in order,
 * `undefined` members dropped (`undefined` in arrays becomes `null`, as in JSON.stringify).
 * Strings and numbers are encoded by JSON.stringify. Non-finite numbers are refused, since they
 * have no JSON form and the two sides could not agree on the signed bytes.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, { d: null, c: 'x' }] }) // '{"a":[true,{"c":"x","d":null}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
}
