/**
 * Built-in evaluation benchmark.
 *   node --import tsx bench/evaluation.bench.ts
 * 1. Metrics + fairness over 1M scored rows (target: under 1 s), with a 1M-element
 *    Float64Array sort measured in the same run as the anchor.
 * 2. Rows/s of createOnnxRunner (raw string cells → tensors → session.run) against a bare
 *    session.run loop over prebuilt tensors of the same batches, on the adult model.
 * Env: BENCH_ROWS (default 1e6), BENCH_RUNNER_ROWS (default 200k).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { parseCsv } from '../packages/core/src/datasets/csv.ts';
import { trainLogisticRegression } from '../packages/core/src/learners/logistic-regression.ts';
import { parseNumericCell } from '../packages/core/src/learners/feature-spec.ts';
import { evaluateBinaryClassifier } from '../packages/core/src/metrics/evaluate.ts';
import { exportLogisticRegressionToOnnx } from '../packages/core/src/onnx/export-logistic-regression.ts';
import { createOnnxRunner } from '../packages/server/src/features/evaluation/onnx-runner.ts';
import { buildSchema } from '../packages/server/src/features/datasets/dataset-table.ts';
import { evaluatePredictions } from '../packages/server/src/features/evaluation/evaluate-metrics.ts';
import { predict } from '../packages/server/src/features/evaluation/predictions.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNNER_ROWS = Number(process.env.BENCH_RUNNER_ROWS ?? 200_000);
const BATCH = 8192;

/** Deterministic xorshift32 in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function time(fn: () => unknown | Promise<unknown>, repeats: number): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

async function benchMetrics(): Promise<void> {
  const rand = prng(42);
  const y = new Uint8Array(ROWS);
  const p = new Float64Array(ROWS);
  const sex = new Int32Array(ROWS);
  const race = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    sex[i] = rand() < 0.33 ? 0 : 1;
    race[i] = Math.floor(rand() * 5);
    y[i] = rand() < 0.24 + 0.05 * (sex[i] as number) ? 1 : 0;
    p[i] = Math.min(1, Math.max(0, 0.6 * rand() + 0.35 * (y[i] as number)));
  }
  const sensitive = {
    sex: { codes: sex, names: ['Female', 'Male'] },
    race: { codes: race, names: ['Amer-Indian-Eskimo', 'Asian-Pac-Islander', 'Black', 'Other', 'White'] },
  };
  evaluateBinaryClassifier(y, p, sensitive); // warm-up (JIT)
  const evalMs = await time(() => evaluateBinaryClassifier(y, p, sensitive), 5);
  const sortMs = await time(() => p.slice().sort(), 5);
  const verdict = evalMs < 1000 ? 'OK' : 'OVER TARGET';
  console.log(`metrics+fairness, ${ROWS} rows: ${evalMs.toFixed(1)} ms (target < 1000 ms: ${verdict})`);
  console.log(`  anchor: sort of ${ROWS} float64: ${sortMs.toFixed(1)} ms; ratio ${(evalMs / sortMs).toFixed(2)}×`);
}

async function benchRunner(): Promise<void> {
  const adult = new URL('../../shared/datasets/adult/', import.meta.url);
  const train = parseCsv(readFileSync(new URL('adult-train.csv', adult), 'utf8'));
  const test = parseCsv(readFileSync(new URL('adult-test.csv', adult), 'utf8'));
  const model = trainLogisticRegression(train, { label: 'income', positiveClass: '>50K' });
  const bytes = exportLogisticRegressionToOnnx(model);
  const rows = Array.from({ length: RUNNER_ROWS }, (_, i) => test.rows[i % test.rows.length] as string[]);
  const table = { header: test.header, rows };

  const runner = await createOnnxRunner(bytes, { batchSize: BATCH });
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  // Bare loop: tensors built before timing, so it measures onnxruntime alone.
  const batches: Record<string, ort.Tensor>[] = [];
  for (let start = 0; start < rows.length; start += BATCH) {
    const slice = rows.slice(start, start + BATCH);
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of model.spec.numeric) {
      const j = test.header.indexOf(f.name);
      feeds[f.name] = new ort.Tensor('float32', Float32Array.from(slice, (r) => parseNumericCell(r[j] ?? '')), [slice.length, 1]);
    }
    for (const f of model.spec.categorical) {
      const j = test.header.indexOf(f.name);
      feeds[f.name] = new ort.Tensor('string', slice.map((r) => r[j] ?? ''), [slice.length, 1]);
    }
    batches.push(feeds);
  }
  const bare = async (): Promise<void> => {
    for (const feeds of batches) await session.run(feeds);
  };
  // Full built-in evaluation path: raw cells -> tensors -> session.run -> labels -> metrics,
  // calibration and per-column fairness (what `steward evaluate` does once the dataset is parsed).
  const schema = buildSchema(table, { label: 'income', sensitive: ['sex', 'race'] });
  const evaluate = async (): Promise<void> => void evaluatePredictions(await predict(runner, schema, table), schema, table);
  await bare();
  await runner.score(table);
  await evaluate();
  // Interleaved so both see the same machine load (the cores are shared).
  const bareSamples: number[] = [];
  const runnerSamples: number[] = [];
  const evalSamples: number[] = [];
  for (let r = 0; r < 3; r++) {
    bareSamples.push(await time(bare, 1));
    runnerSamples.push(await time(() => runner.score(table), 1));
    evalSamples.push(await time(evaluate, 1));
  }
  const bareMs = median(bareSamples);
  const runnerMs = median(runnerSamples);
  const rate = (ms: number): string => `${Math.round((rows.length / ms) * 1000).toLocaleString('en-US')} rows/s`;
  console.log(`onnx runner, ${rows.length} adult rows, batch ${BATCH}: ${rate(runnerMs)}`);
  console.log(`  anchor: bare session.run over prebuilt tensors: ${rate(bareMs)}; runner/bare throughput ${(bareMs / runnerMs).toFixed(2)}×`);
  const evalMs = median(evalSamples);
  console.log(`full evaluation (score + metrics + calibration + fairness by sex, race): ${rate(evalMs)}; evaluation/bare throughput ${(bareMs / evalMs).toFixed(2)}×`);
  await runner.close();
  await session.release();
}

await benchMetrics();
await benchRunner();
