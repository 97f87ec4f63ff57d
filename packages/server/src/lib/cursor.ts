import { InvalidInputError } from '@steward/core';

/** Opaque cursors: base64url JSON of the last row's sort position. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError('invalid cursor: pass back the nextCursor of a previous page unchanged', { field: 'cursor' }, 'invalid_cursor');
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
