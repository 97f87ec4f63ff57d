import { InvalidInputError } from '../errors.ts';
import type { RawTable } from './raw-table.ts';

/**
 * Parses RFC 4180 CSV text (comma separator, `"` quoting with `""` as an escaped quote,
 * LF or CRLF line ends, optional trailing newline). The first record is the header.
 * Pure: takes the text, so it runs in the browser agent too.
 * Throws when a record's cell count differs from the header's, naming the 1-based line.
 */
export function parseCsv(text: string): RawTable {
  const records = parseRecords(text);
  const header = records.shift();
  if (header === undefined) throw new InvalidInputError('CSV is empty: expected a header row');
  records.forEach((record, i) => {
    if (record.length !== header.length) {
      throw new InvalidInputError(`CSV record ${i + 2} has ${record.length} cells, header has ${header.length}`);
    }
  });
  return { header, rows: records };
}

function parseRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let inQuotes = false;
  let cellStarted = false; // distinguishes "a final empty line" from "a record with one empty cell"
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else inQuotes = false;
      } else cell += ch;
      continue;
    }
    if (ch === '"') {
      inQuotes = true;
      cellStarted = true;
    } else if (ch === ',') {
      record.push(cell);
      cell = '';
      cellStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      if (cellStarted || cell !== '' || record.length > 0) record.push(cell);
      if (record.length > 0) records.push(record);
      record = [];
      cell = '';
      cellStarted = false;
    } else {
      // Plain run: copy up to the next delimiter in one slice rather than char by char.
      let end = i + 1;
      while (end < text.length) {
        const c = text.charCodeAt(end);
        if (c === 44 || c === 10 || c === 13 || c === 34) break; // , \n \r "
        end++;
      }
      cell += text.slice(i, end);
      cellStarted = true;
      i = end - 1;
    }
  }
  if (inQuotes) throw new InvalidInputError('CSV ends inside a quoted field');
  if (cellStarted || cell !== '' || record.length > 0) {
    record.push(cell);
    records.push(record);
  }
  return records;
}

/** Writes a table back to CSV, quoting only cells that need it. Inverse of `parseCsv`. */
export function formatCsv(table: RawTable): string {
  const quote = (cell: string): string =>
    /[",\r\n]/.test(cell) || cell === '' ? `"${cell.replaceAll('"', '""')}"` : cell;
  return [table.header, ...table.rows].map((row) => row.map(quote).join(',')).join('\n') + '\n';
}
