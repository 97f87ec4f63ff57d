import { InvalidInputError } from '@steward/core';

/**
 * Analysis conditions: a tiny, total language so a YAML file can say
 *   `errorRate < 0.01 and latencyP95 <= stable.latencyP95 * 1.2 and requests >= 500`.
 * A reference is `[candidate.|stable.]metric` (no prefix = candidate: the version being rolled
 * out; `stable` = the version it replaces, read over the same window). `and` binds tighter than
 * `or`. Evaluation is three-valued: a metric without data makes its clause unknown, and unknown
 * propagates (Kleene logic) so "no data yet" is never mistaken for success or failure.
 */
export type Scope = 'candidate' | 'stable';
export interface MetricRef {
  scope: Scope;
  metric: string;
}
type Operand = { num: number } | { ref: MetricRef; factor: number };
type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';
interface Clause {
  left: Operand;
  op: Op;
  right: Operand;
}
/** Disjunction of conjunctions. */
export interface Condition {
  source: string;
  anyOf: Clause[][];
}

const OPERAND = /^(?:(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)|(?:(candidate|stable)\.)?([A-Za-z_][\w.-]*)(?:\s*\*\s*(-?\d+(?:\.\d+)?))?)$/;
const CLAUSE = /^(.+?)\s*(<=|>=|==|!=|<|>)\s*(.+)$/;

function operand(text: string, path: string): Operand {
  const m = OPERAND.exec(text.trim());
  if (!m) throw new InvalidInputError(`${path}: cannot read "${text.trim()}"; expected a number or [candidate.|stable.]metric [* number]`, { path });
  if (m[1] !== undefined) return { num: Number(m[1]) };
  return { ref: { scope: (m[2] as Scope | undefined) ?? 'candidate', metric: m[3]! }, factor: m[4] !== undefined ? Number(m[4]) : 1 };
}

export function parseCondition(source: string, path = 'condition'): Condition {
  if (source.trim() === '') throw new InvalidInputError(`${path}: empty condition`, { path });
  const anyOf = source.split(/\s+or\s+/i).map((disj) =>
    disj.split(/\s+and\s+/i).map((c) => {
      const m = CLAUSE.exec(c.trim());
      if (!m) throw new InvalidInputError(`${path}: "${c.trim()}" is not a comparison (use < <= > >= == !=)`, { path });
      return { left: operand(m[1]!, path), op: m[2] as Op, right: operand(m[3]!, path) };
    }),
  );
  return { source, anyOf };
}

/** Every metric reference, for "is anyone reporting this?" checks before a rollout starts. */
export function refsOf(c: Condition): MetricRef[] {
  const out: MetricRef[] = [];
  for (const conj of c.anyOf) for (const cl of conj) for (const o of [cl.left, cl.right]) if ('ref' in o) out.push(o.ref);
  return out;
}

export const refKey = (r: MetricRef): string => `${r.scope}.${r.metric}`;

function value(o: Operand, values: ReadonlyMap<string, number | undefined>): number | undefined {
  if ('num' in o) return o.num;
  const v = values.get(refKey(o.ref));
  return v === undefined || Number.isNaN(v) ? undefined : v * o.factor;
}

function compare(a: number, op: Op, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** true / false, or undefined when the answer depends on a metric without data. */
export function evaluateCondition(c: Condition, values: ReadonlyMap<string, number | undefined>): boolean | undefined {
  let unknownOr = false;
  for (const conj of c.anyOf) {
    let all: boolean | undefined = true;
    for (const cl of conj) {
      const a = value(cl.left, values);
      const b = value(cl.right, values);
      if (a === undefined || b === undefined) all = undefined;
      else if (!compare(a, cl.op, b)) all = false;
      if (all === false) break;
    }
    if (all === true) return true;
    if (all === undefined) unknownOr = true;
  }
  return unknownOr ? undefined : false;
}
