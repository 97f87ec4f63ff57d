export { holds, namesOf, parseCondition, type Expr as ConditionExpr } from './condition.ts';
export { parseRulesText } from './rules-file.ts';
