import { InvalidInputError } from '../errors.ts';

/** Numeric column accepted by every metric: plain arrays and typed arrays alike. */
export type NumericArray = ArrayLike<number>;

export function assertSameLength(what: string, a: NumericArray, b: NumericArray): void {
  if (a.length !== b.length) {
    throw new InvalidInputError(`${what}: lengths differ (${a.length} vs ${b.length})`);
  }
  if (a.length === 0) throw new InvalidInputError(`${what}: no rows`);
}

/** Binary labels must be exactly 0 or 1; anything else is a caller bug worth a clear message. */
export function assertBinaryLabels(what: string, y: NumericArray): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) throw new InvalidInputError(`${what}: label at row ${i} is ${v}, expected 0 or 1`);
  }
}

/** a / b, or `fallback` when b is 0 (the sklearn `zero_division` convention). */
export function safeDivide(a: number, b: number, fallback: number): number {
  return b === 0 ? fallback : a / b;
}
