import { describe, expect, it } from 'vitest';
import { parseRange } from './serve-bytes.ts';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=2-', 10, { start: 2, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-30', 10, { start: 0, end: 9 }],
    ['bytes=5-100', 10, { start: 5, end: 9 }],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=5-4', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=0-1,3-4', 10, undefined],
    ['items=0-1', 10, undefined],
    [undefined, 10, undefined],
  ] as const)('%s of %i bytes', (h, size, want) => expect(parseRange(h, size)).toEqual(want));
});
