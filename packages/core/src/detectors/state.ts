/**
 * Detector state as plain JSON, so a server can persist its detectors at every flush and resume
 * them after a restart with the same counts. JSON has no ±Infinity or NaN, and the detectors start
 * from those (Page-Hinkley's min_up, DDM's p_min): non-finite numbers travel as strings.
 */
export type StateNumber = number | 'Infinity' | '-Infinity' | 'NaN';

export function encodeNumber(x: number): StateNumber {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

export function decodeNumber(x: unknown, field: string): number {
  if (typeof x === 'number') return x;
  if (x === 'Infinity') return Number.POSITIVE_INFINITY;
  if (x === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (x === 'NaN') return Number.NaN;
  throw new TypeError(`detector state: "${field}" is not a number`);
}

/** Reads a number field of a stored state object, failing loudly on a corrupt one. */
export function stateNumber(o: Record<string, unknown>, field: string): number {
  return decodeNumber(o[field], field);
}
