/** Raw tables of string cells and a pure CSV parser (takes text, no I/O). */
export { parseCsv, formatCsv } from './csv.ts';
export { columnIndex, columnValues, type RawTable } from './raw-table.ts';
