import { isNode, LineCounter, parseDocument } from 'yaml';
import { InvalidInputError } from '@steward/core';
import { PolicySchema, type Policy } from './policy.types.ts';

export interface PolicyIssue {
  /** Dotted path, e.g. `channels.production.gates.1.min`. */
  path: string;
  message: string;
  /** 1-based line and column in the YAML text, when the path has a node there. */
  line?: number;
  col?: number;
}

const MAX_YAML = 64 * 1024;

/**
 * Parses and validates a policy. Every problem (YAML syntax or schema) carries the line it is
 * on; the error message names the first as `line N: path: message`.
 */
export function parsePolicyYaml(text: string): Policy {
  if (text.length > MAX_YAML) throw new InvalidInputError(`policy is over ${MAX_YAML} bytes`, {}, 'invalid_policy');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: PolicyIssue[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    issues.push({ path: '', message: e.message.split('\n')[0] ?? e.message, line: pos.line, col: pos.col });
  }
  if (issues.length === 0) {
    const parsed = PolicySchema.safeParse(doc.toJS() ?? {});
    if (parsed.success) return parsed.data;
    for (const i of parsed.error.issues) {
      // Point at the deepest node that exists on the path (a missing key points at its parent).
      let line: number | undefined;
      let col: number | undefined;
      for (let k = i.path.length; k >= 0; k--) {
        const node = k === 0 ? doc.contents : doc.getIn(i.path.slice(0, k) as (string | number)[], true);
        if (isNode(node) && node.range) {
          ({ line, col } = lineCounter.linePos(node.range[0]));
          break;
        }
      }
      issues.push({ path: i.path.map(String).join('.'), message: i.message, ...(line !== undefined ? { line, col } : {}) });
    }
  }
  const first = issues[0]!;
  const where = first.line !== undefined ? `line ${first.line}: ` : '';
  throw new InvalidInputError(`invalid policy: ${where}${first.path ? `${first.path}: ` : ''}${first.message}`, { issues }, 'invalid_policy');
}
