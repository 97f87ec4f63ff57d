import type { AbComparison, RolloutView } from '@steward/client';
import { short } from '../format.ts';

const pct = (x: number | undefined, digits = 2) => (x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`);
const num = (x: number | undefined) => (x === undefined ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(1));

function metricsLine(label: string, m: Record<string, number>): string {
  if (m.requests === undefined) return `  ${label}: no telemetry yet`;
  const shadow = m.shadowAgreement !== undefined ? ` shadow-agreement=${pct(m.shadowAgreement)} (${m.shadowCompared} compared)` : '';
  return `  ${label}: requests=${m.requests} errors=${m.errors} (${pct(m.errorRate)}) p50=${num(m.latencyP50)}ms p95=${num(m.latencyP95)}ms p99=${num(m.latencyP99)}ms${shadow}`;
}

function abLine(c: AbComparison): string {
  const t = c.test;
  if (!t) return `  ${c.metric}: not enough data (a ${c.a.trials}, b ${c.b.trials} requests)`;
  const lift = t.lift === null ? '' : `, lift ${t.lift >= 0 ? '+' : ''}${(t.lift * 100).toFixed(1)}%`;
  return `  ${c.metric}: a ${pct(t.pA)} (${c.a.successes}/${c.a.trials})  b ${pct(t.pB)} (${c.b.successes}/${c.b.trials})  diff ${(t.diff * 100).toFixed(2)}pp [${(t.ci95[0] * 100).toFixed(2)}, ${(t.ci95[1] * 100).toFixed(2)}]${lift}, Cohen's h ${t.cohensH.toFixed(3)}, z ${t.z.toFixed(2)}, p ${t.pValue < 1e-4 ? t.pValue.toExponential(2) : t.pValue.toFixed(4)}`;
}

/** The human status of a rollout: header, plan with progress, metrics, analysis and A/B statistics. */
export function renderRollout(r: RolloutView): string {
  const lines = [
    `rollout ${r.id}  ${r.model}/${r.channel}  ${r.strategy} ${r.previousTable.stable} -> ${r.version}  ${r.state.toUpperCase()}${r.overdue ? '  OVERDUE' : ''}${r.critical ? '  critical' : ''}`,
    `  ${r.message}`,
  ];
  if (r.pausedReason) lines.push(`  paused: ${r.pausedReason}`);
  if (r.deadline) lines.push(`  deadline: ${short(r.deadline)}`);
  lines.push('plan:');
  for (const s of r.steps) lines.push(`  ${s.status === 'done' ? '[x]' : s.status === 'current' ? '[>]' : '[ ]'} ${s.index + 1}. ${s.description}`);
  lines.push(`metrics since ${short(r.metrics.since)}:`);
  lines.push(metricsLine(`new ${r.version}`, r.metrics.candidate));
  if (r.previousTable.stable !== r.version) lines.push(metricsLine(`old ${r.previousTable.stable}`, r.metrics.stable));
  if (r.analysis.measurements.length > 0) {
    lines.push(`analysis: ${r.analysis.measurements.length} measurement(s), ${r.analysis.failures} failed, ${r.analysis.inconclusive} inconclusive`);
    for (const m of r.analysis.measurements.slice(-5)) lines.push(`  ${short(m.at)} ${m.outcome}: ${Object.entries(m.values).map(([k, v]) => `${k}=${v ?? 'no data'}`).join(' ')}`);
  }
  if (r.ab) {
    lines.push('A/B (two-proportion z-test, a = old, b = new):');
    for (const c of r.ab) lines.push(abLine(c));
  }
  return lines.join('\n');
}
