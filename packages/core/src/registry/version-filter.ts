import { InvalidInputError } from '../errors.ts';

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type FilterKind = 'metric' | 'param' | 'tag';

export interface FilterClause {
  kind: FilterKind;
  key: string;
  op: FilterOp;
  /** Numbers for metrics (and numeric params); strings otherwise. */
  value: number | string;
}

const CLAUSE = /^\s*(metrics|params|tags)\.([A-Za-z0-9_.\-/:]+?)\s*(>=|<=|!=|=|>|<)\s*(.+?)\s*$/;
const KINDS: Record<string, FilterKind> = { metrics: 'metric', params: 'param', tags: 'tag' };
const MAX_CLAUSES = 16;

/**
 * Parses `metrics.f1>=0.92 and tags.team=risk and params.optimizer=adam`.
 * Metrics compare numerically; tags only with `=`/`!=`; params numerically when the value is a
 * number, as strings otherwise. Values may be quoted with '…' or "…".
 */
export function parseFilter(input: string): FilterClause[] {
  const text = input.trim();
  if (text === '') return [];
  const parts = text.split(/\s+and\s+|\s*&&\s*/i);
  if (parts.length > MAX_CLAUSES) throw bad(input, `at most ${MAX_CLAUSES} clauses`);
  return parts.map((part) => parseClause(part, input));
}

function parseClause(part: string, whole: string): FilterClause {
  const m = CLAUSE.exec(part);
  if (!m) throw bad(whole, `cannot read "${part.trim()}"; expected e.g. metrics.f1>=0.9, params.lr=0.01 or tags.team=risk`);
  const [, prefix, key, op, rawValue] = m as unknown as [string, string, string, FilterOp, string];
  const kind = KINDS[prefix] as FilterKind;
  const value = unquote(rawValue);
  if (kind === 'tag') {
    if (op !== '=' && op !== '!=') throw bad(whole, `tags compare only with = or != ("${part.trim()}")`);
    return { kind, key, op, value };
  }
  const num = Number(value);
  const isNum = value.trim() !== '' && Number.isFinite(num) && value === rawValue;
  if (kind === 'metric') {
    if (!isNum) throw bad(whole, `metric ${key} must be compared with a number, got "${value}"`);
    return { kind, key, op, value: num };
  }
  if (!isNum && op !== '=' && op !== '!=') throw bad(whole, `param ${key} compares with ${op} only against a number`);
  return { kind, key, op, value: isNum ? num : value };
}

function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

function bad(filter: string, why: string): InvalidInputError {
  return new InvalidInputError(`invalid filter: ${why}`, { field: 'filter', value: filter }, 'invalid_filter');
}
