/**
 * Rule conditions: a small expression language over one window's metrics.
 *
 *   accuracy < reference.accuracy - 0.05 and count >= 100
 *   drift.age or drift_share >= 0.5
 *   alarms.ddm > 0
 *
 * Grammar: or := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | cmp ;
 * cmp := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)? ; sum := atom (('+'|'-'|'*'|'/') atom)* ;
 * atom := number | name | '(' or ')'. Names are dotted identifiers resolved by the caller.
 * Truth: a bare value is true when it is a number other than 0. Missing data is NaN, and every
 * comparison with NaN is false, so a window without labels never fires an accuracy rule.
 */
import { InvalidInputError } from '../errors.ts';

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'name'; v: string }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'not'; a: Expr };

const TOKEN = /\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_][A-Za-z0-9_.-]*|<=|>=|==|!=|[<>()+\-*/])/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new InvalidInputError(`cannot read the condition at "${src.slice(pos, pos + 20)}"`, { condition: src }, 'bad_condition');
    out.push(m[1] as string);
    pos = TOKEN.lastIndex;
  }
  return out;
}

export function parseCondition(src: string): Expr {
  const t = tokenize(src);
  let i = 0;
  const peek = () => t[i];
  const fail = (msg: string): never => {
    throw new InvalidInputError(`condition "${src}": ${msg}`, { condition: src }, 'bad_condition');
  };
  const atom = (): Expr => {
    const x = t[i++];
    if (x === undefined) return fail('ends too early');
    if (x === '(') {
      const e = or();
      if (t[i++] !== ')') fail('missing )');
      return e;
    }
    if (x === '-') return { k: 'bin', op: '-', a: { k: 'num', v: 0 }, b: atom() };
    if (/^\d/.test(x)) return { k: 'num', v: Number(x) };
    if (/^[A-Za-z_]/.test(x) && !['and', 'or', 'not'].includes(x)) return { k: 'name', v: x };
    return fail(`unexpected "${x}"`);
  };
  const sum = (): Expr => {
    let e = atom();
    while (['+', '-', '*', '/'].includes(peek() ?? '')) e = { k: 'bin', op: t[i++] as string, a: e, b: atom() };
    return e;
  };
  const cmp = (): Expr => {
    const e = sum();
    if (['<', '<=', '>', '>=', '==', '!='].includes(peek() ?? '')) return { k: 'bin', op: t[i++] as string, a: e, b: sum() };
    return e;
  };
  const not = (): Expr => (peek() === 'not' ? (i++, { k: 'not', a: not() }) : cmp());
  const and = (): Expr => {
    let e = not();
    while (peek() === 'and') { i++; e = { k: 'bin', op: 'and', a: e, b: not() }; }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (peek() === 'or') { i++; e = { k: 'bin', op: 'or', a: e, b: and() }; }
    return e;
  };
  const e = or();
  if (i < t.length) fail(`unexpected "${t[i]}"`);
  return e;
}

/** Every name the expression reads (so the evaluator computes drift only when asked for). */
export function namesOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.k === 'name') out.add(e.v);
  else if (e.k === 'bin') { namesOf(e.a, out); namesOf(e.b, out); }
  else if (e.k === 'not') namesOf(e.a, out);
  return out;
}

const truthy = (v: number) => !Number.isNaN(v) && v !== 0;

export function evaluate(e: Expr, lookup: (name: string) => number): number {
  switch (e.k) {
    case 'num': return e.v;
    case 'name': return lookup(e.v);
    case 'not': return truthy(evaluate(e.a, lookup)) ? 0 : 1;
    case 'bin': {
      if (e.op === 'and') return truthy(evaluate(e.a, lookup)) && truthy(evaluate(e.b, lookup)) ? 1 : 0;
      if (e.op === 'or') return truthy(evaluate(e.a, lookup)) || truthy(evaluate(e.b, lookup)) ? 1 : 0;
      const a = evaluate(e.a, lookup);
      const b = evaluate(e.b, lookup);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
        case '<': return a < b ? 1 : 0;
        case '<=': return a <= b ? 1 : 0;
        case '>': return a > b ? 1 : 0;
        case '>=': return a >= b ? 1 : 0;
        case '==': return a === b ? 1 : 0;
        default: return a !== b && !Number.isNaN(a) && !Number.isNaN(b) ? 1 : 0;
      }
    }
  }
}

export const holds = (e: Expr, lookup: (name: string) => number): boolean => truthy(evaluate(e, lookup));
