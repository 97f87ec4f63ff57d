/**
 * The names a rule condition can read for one window (docs/monitoring.md lists them): the window's
 * metrics in snake_case, `alarms.<detector>`, `reference.<metric>`, drift per feature and fairness
 * per attribute. Drift and fairness are computed only if the condition asks for them.
 */
import { driftFromSketches, groupFairness, windowMetrics, type ReferenceProfile, type WindowSummary } from '@steward/core';

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function windowLookup(summary: WindowSummary, reference: ReferenceProfile | undefined, threshold: number): (name: string) => number {
  const flat = new Map<string, number>();
  const m = windowMetrics(summary, threshold);
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number') flat.set(snake(k), v);
  for (const [k, v] of Object.entries(m.alarms)) flat.set(`alarms.${k}`, v);
  const perf = reference?.performance;
  if (perf) for (const [k, v] of Object.entries(perf)) flat.set(`reference.${snake(k)}`, typeof v === 'boolean' ? (v ? 1 : 0) : v);
  if (reference?.positiveRate !== undefined) flat.set('reference.positive_rate', reference.positiveRate);
  let drift: ReturnType<typeof driftFromSketches> | undefined;
  const driftOf = () => (drift ??= reference ? driftFromSketches(reference, summary.features) : undefined);
  return (name) => {
    const v = flat.get(name);
    if (v !== undefined) return v;
    if (name.startsWith('alarms.')) return 0;
    if (name === 'drift_share' || name === 'dataset_drift' || name === 'drifted_columns' || name.startsWith('drift.') || name.startsWith('drift_score.') || name.startsWith('psi.')) {
      const d = driftOf();
      if (!d) return Number.NaN;
      if (name === 'drift_share') return d.share;
      if (name === 'dataset_drift') return d.drifted ? 1 : 0;
      if (name === 'drifted_columns') return d.driftedColumns;
      const [kind, col] = [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)];
      if (kind === 'psi') return d.psi[col] ?? Number.NaN;
      const c = d.columns.find((x) => x.name === col);
      if (!c) return Number.NaN;
      return kind === 'drift' ? (c.drifted ? 1 : 0) : c.statistic;
    }
    const fm = /^(dp_difference|dp_ratio|eo_difference)\.(.+)$/.exec(name);
    if (fm) {
      const groups = summary.groups[fm[2] as string];
      if (!groups) return Number.NaN;
      const f = groupFairness(groups);
      return fm[1] === 'dp_difference' ? f.demographicParityDifference : fm[1] === 'dp_ratio' ? f.demographicParityRatio : f.equalizedOddsDifference;
    }
    return Number.NaN;
  };
}
