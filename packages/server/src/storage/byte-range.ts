import { InvalidInputError } from '@steward/core';

function unsatisfiable(key: string, start: number, end: number, size: number | undefined): never {
  throw new InvalidInputError(
    `range ${start}-${end} is not satisfiable for object ${JSON.stringify(key)}${size === undefined ? '' : ` of ${size} bytes`}`,
    { key, start, end, ...(size === undefined ? {} : { size }) },
    'range_not_satisfiable',
  );
}

/** Checks the shape of an inclusive byte range before any I/O: integers, 0 <= start <= end. */
export function assertRangeShape(key: string, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    unsatisfiable(key, start, end, undefined);
  }
}

/**
 * Strict bounds: both ends must lie inside the object (`end <= size - 1`). Unlike an HTTP server we
 * do not clamp `end`; the HTTP layer clamps using `stat` so it can also fill in Content-Range.
 */
export function assertRangeInside(key: string, start: number, end: number, size: number): void {
  assertRangeShape(key, start, end);
  if (end >= size) unsatisfiable(key, start, end, size);
}

export { unsatisfiable as rangeNotSatisfiable };
