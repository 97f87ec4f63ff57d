/**
 * Drift benchmark: 1M reference × 1M current rows over 14 columns (10 numeric, 4 categorical),
 * Steward's `datasetDrift` against numpy/scipy on the same data in the same run, values compared
 * to 1e-6. Run: node --import tsx bench/drift.bench.ts [rows=1000000] [runs=3]
 * The Python side (bench/drift_scipy.py) writes the data and its own timings; we read both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetDrift, type DriftColumn } from '../packages/core/src/stats/drift.ts';
import { ksTwoSample } from '../packages/core/src/stats/ks-two-sample.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'steward-drift-bench-'));
try {
  execFileSync('python3', [join(import.meta.dirname, 'drift_scipy.py'), dir, String(rows), String(runs)], { stdio: 'inherit' });
  const scipy = JSON.parse(readFileSync(join(dir, 'scipy.json'), 'utf8')) as {
    meta: Array<{ name: string; kind: 'numeric' | 'categorical' }>;
    values: number[];
    seconds: number[];
    ks: { statistic: number; pvalue: number; seconds: number };
  };
  const load = (file: string, kind: string): Float64Array | Int32Array => {
    const buf = readFileSync(join(dir, file));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    return kind === 'numeric' ? new Float64Array(ab) : new Int32Array(ab);
  };
  const columns: DriftColumn[] = scipy.meta.map((m) => ({
    name: m.name, kind: m.kind, reference: load(`${m.name}.ref`, m.kind), current: load(`${m.name}.cur`, m.kind),
  }));

  const times: number[] = [];
  let result = datasetDrift(columns); // warm-up (JIT), not timed
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    result = datasetDrift(columns);
    times.push((performance.now() - t0) / 1000);
  }
  let worst = 0;
  result.columns.forEach((c, i) => {
    const want = scipy.values[i] as number;
    worst = Math.max(worst, Math.abs(c.statistic - want) / Math.max(1, Math.abs(want)));
  });
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const ours = median(times);
  const theirs = median(scipy.seconds);
  console.log(`drift ${rows} × ${rows} rows, ${columns.length} columns (${result.columns.map((c) => c.method).join(',')})`);
  console.log(`  steward ${ours.toFixed(3)} s   scipy ${theirs.toFixed(3)} s   speed-up ×${(theirs / ours).toFixed(2)}`);
  console.log(`  max relative difference vs scipy: ${worst.toExponential(2)} ${worst <= 1e-6 ? '(ok, <= 1e-6)' : '(MISMATCH)'}`);

  const t0 = performance.now();
  const ks = ksTwoSample(columns[0]?.reference as Float64Array, columns[0]?.current as Float64Array);
  const ksTime = (performance.now() - t0) / 1000;
  const ksDiff = Math.max(Math.abs(ks.statistic - scipy.ks.statistic), Math.abs(ks.pValue - scipy.ks.pvalue));
  console.log(`  ks_2samp on col0: steward ${ksTime.toFixed(3)} s   scipy ${scipy.ks.seconds.toFixed(3)} s   ×${(scipy.ks.seconds / ksTime).toFixed(2)}   |Δ| ${ksDiff.toExponential(2)}`);
  if (worst > 1e-6 || ksDiff > 1e-6) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
