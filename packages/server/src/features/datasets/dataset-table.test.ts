import { describe, expect, it } from 'vitest';
import { buildSchema, inferColumns, parseDataset, parseJsonl } from './dataset-table.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('dataset tables', () => {
  it('reads JSON Lines into the same shape as CSV, keys of the first object as the header', () => {
    const t = parseJsonl('{"a": 1, "b": "x", "y": true}\n\n{"b": "y", "a": null, "y": false}\n');
    expect(t).toEqual({ header: ['a', 'b', 'y'], rows: [['1', 'x', 'true'], ['', 'y', 'false']] });
    expect(parseDataset(enc('a,b\n1,x\n'), 'csv')).toEqual({ header: ['a', 'b'], rows: [['1', 'x']] });
  });
  it('names the line of bad JSONL and of a ragged CSV', () => {
    expect(() => parseJsonl('{"a":1}\n{oops}\n')).toThrow(/line 2 is not valid JSON/);
    expect(() => parseDataset(enc('a,b\n1\n'), 'csv')).toThrow(/record 2 has 1 cells/);
  });
  it('types columns: numeric when every present cell is a number (? and empty are missing)', () => {
    const t = { header: ['n', 's', 'm'], rows: [['1', 'a', '?'], ['2.5e3', 'b', '3']] };
    expect(inferColumns(t).map((c) => c.type)).toEqual(['number', 'string', 'number']);
  });
  it('infers the task and positive class from the label', () => {
    const bin = { header: ['x', 'y'], rows: [['1', '<=50K'], ['2', '>50K']] };
    expect(buildSchema(bin, { label: 'y' })).toMatchObject({ task: 'binary', positiveClass: '>50K', features: ['x'] });
    const zeroOne = { header: ['x', 'y'], rows: [['1', '1'], ['2', '0']] };
    expect(buildSchema(zeroOne, { label: 'y' }).positiveClass).toBe('1');
    const multi = { header: ['x', 'y'], rows: [['1', 'b'], ['2', 'a'], ['3', 'c']] };
    expect(buildSchema(multi, { label: 'y' })).toMatchObject({ task: 'multiclass', classes: ['a', 'b', 'c'] });
    const reg = { header: ['x', 'y'], rows: Array.from({ length: 30 }, (_, i) => [String(i), String(i * 1.5)]) };
    expect(buildSchema(reg, { label: 'y' }).task).toBe('regression');
  });
  it('refuses unknown columns and a positive class that never occurs', () => {
    const t = { header: ['x', 'y'], rows: [['1', 'a'], ['2', 'b']] };
    expect(() => buildSchema(t, { label: 'z' })).toThrow(/no column "z"/);
    expect(() => buildSchema(t, { label: 'y', sensitive: ['sex'] })).toThrow(/no column "sex"/);
    expect(() => buildSchema(t, { label: 'y', positiveClass: 'c' })).toThrow(/positive class "c"/);
    expect(() => buildSchema(t, { label: 'y', task: 'regression' })).toThrow(/numeric label/);
  });
});
