import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatCsv, parseCsv } from './csv.ts';

describe('parseCsv', () => {
  it('reads quoted cells with commas, escaped quotes and newlines, and CRLF ends', () => {
    const table = parseCsv('a,b,c\r\n1,"x, ""y""",\r\n"multi\nline",?,3\r\n');
    expect(table.header).toEqual(['a', 'b', 'c']);
    expect(table.rows).toEqual([
      ['1', 'x, "y"', ''],
      ['multi\nline', '?', '3'],
    ]);
  });

  it('accepts a missing trailing newline and rejects ragged rows', () => {
    expect(parseCsv('a,b\n1,2').rows).toEqual([['1', '2']]);
    expect(() => parseCsv('a,b\n1,2,3\n')).toThrow(/record 2 has 3 cells/);
    expect(() => parseCsv('a\n"open\n')).toThrow(/quoted/);
  });

  it('round-trips any table through formatCsv', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ',', '"', '\n', '\r', ' ', '?', 'é') });
    const table = fc.integer({ min: 1, max: 5 }).chain((width) =>
      fc.record({
        header: fc.array(cell, { minLength: width, maxLength: width }),
        rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 6 }),
      }),
    );
    fc.assert(
      fc.property(table, (t) => {
        expect(parseCsv(formatCsv(t))).toEqual(t);
      }),
    );
  });
});
