import { InvalidInputError, NotFoundError } from '@steward/core';
import { iso, type Principal } from '../../lib/context.ts';
import { newId } from '../../lib/ids.ts';
import type { BlobService } from '../blobs/blobs.service.ts';
import type { Dataset, DatasetService } from '../datasets/datasets.service.ts';
import type { GatesDb } from '../gates/gates.tables.ts';
import type { VersionService } from '../versions/versions.service.ts';
import type { FileEntry, Version } from '../versions/versions.types.ts';
import { evaluatePredictions, type EvaluationResult } from './evaluate-metrics.ts';
import { createOnnxRunner, type OnnxRunner } from './onnx-runner.ts';
import { predict, type Predictions } from './predictions.ts';

export interface Evaluation extends EvaluationResult {
  id: string;
  model: string;
  version: string;
  /** `NAME@VERSION` of the dataset. */
  dataset: string;
  datasetSha256: string;
  /** The ONNX file that was run. */
  file: string;
  durationMs: number;
  rowsPerSecond: number;
  createdAt: string;
  createdBy: string;
}

/** The ONNX file of a version: `model.onnx` if present, else the only top-level `.onnx` file. */
export function onnxFileOf(v: Version): FileEntry {
  const exact = v.files.find((f) => f.path === 'model.onnx');
  if (exact) return exact;
  const top = v.files.filter((f) => f.path.endsWith('.onnx') && !f.path.includes('/'));
  if (top.length === 1) return top[0]!;
  throw new InvalidInputError(`${v.model}@${v.version} has ${top.length ? 'several' : 'no'} top-level .onnx files; built-in evaluation runs model.onnx`, { files: v.files.map((f) => f.path) }, 'no_onnx_model');
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of stream) parts.push(p);
  return Buffer.concat(parts);
}

/** Keeps the last `max` entries; evicted values are passed to `drop`. */
function lru<V>(max: number, drop: (v: V) => void = () => {}) {
  const m = new Map<string, Promise<V>>();
  return async (key: string, make: () => Promise<V>): Promise<V> => {
    let p = m.get(key);
    if (p) {
      m.delete(key);
      m.set(key, p);
      return p;
    }
    p = make();
    m.set(key, p);
    p.catch(() => m.delete(key));
    if (m.size > max) {
      const [k, old] = m.entries().next().value as [string, Promise<V>];
      m.delete(k);
      old.then(drop, () => {});
    }
    return p;
  };
}

/**
 * Built-in evaluation: runs a version's ONNX model in onnxruntime-node on a registered dataset and
 * stores the metrics as an evaluation record on the version. Sessions and predictions are
 * cached by digest (model bytes and dataset bytes are immutable under their digests).
 */
export function createEvaluationService(deps: { db: GatesDb; versions: VersionService; blobs: BlobService; datasets: DatasetService; now: () => Date }) {
  const { db, versions, blobs, datasets, now } = deps;
  const runners = lru<OnnxRunner>(4, (r) => void r.close().catch(() => {}));
  const predictions = lru<Predictions>(8);

  async function runner(file: FileEntry): Promise<OnnxRunner> {
    return runners(file.sha256, async () => createOnnxRunner(await readAll((await blobs.open(file.sha256)).stream as AsyncIterable<Uint8Array>)));
  }

  async function modelId(name: string): Promise<string> {
    const m = await db.selectFrom('models').select('id').where('name', '=', name).executeTakeFirst();
    if (!m) throw new NotFoundError(`model "${name}" not found`, { model: name }, 'model_not_found');
    return m.id;
  }

  const toEvaluation = (r: { id: string; version: string; dataset: string; dataset_sha256: string; result_json: string; created_at: string; created_by: string }, model: string): Evaluation => ({
    ...(JSON.parse(r.result_json) as Omit<Evaluation, 'id' | 'model' | 'version' | 'dataset' | 'datasetSha256' | 'createdAt' | 'createdBy'>),
    id: r.id,
    model,
    version: r.version,
    dataset: r.dataset,
    datasetSha256: r.dataset_sha256,
    createdAt: r.created_at,
    createdBy: r.created_by,
  });

  const service = {
    runner,
    /** The version's predictions on a dataset, for gates (regression, fairness, metric). */
    async predictions(v: Version, datasetRef: string): Promise<{ preds: Predictions; dataset: Dataset; table: Awaited<ReturnType<DatasetService['load']>>['table']; file: FileEntry }> {
      const { dataset, table } = await datasets.load(datasetRef);
      const file = onnxFileOf(v);
      const preds = await predictions(`${file.sha256}:${dataset.sha256}`, async () => predict(await runner(file), dataset.schema, table));
      return { preds, dataset, table, file };
    },

    async evaluate(modelName: string, ref: string, datasetRef: string, by: Principal): Promise<Evaluation> {
      const v = await versions.get(modelName, ref);
      const started = performance.now();
      const { preds, dataset, table, file } = await service.predictions(v, datasetRef);
      const result = evaluatePredictions(preds, dataset.schema, table);
      const durationMs = performance.now() - started;
      const body = { ...result, file: file.path, durationMs, rowsPerSecond: durationMs > 0 ? (preds.n / durationMs) * 1000 : 0 };
      const row = {
        id: newId('eval'),
        model_id: await modelId(modelName),
        version: v.version,
        dataset: `${dataset.name}@${dataset.version}`,
        dataset_sha256: dataset.sha256,
        task: result.task,
        result_json: JSON.stringify(body),
        created_at: iso(now()),
        created_by: by.name,
      };
      await db.insertInto('evaluations').values(row).execute();
      return toEvaluation(row, modelName);
    },

    async list(modelName: string, ref: string): Promise<Evaluation[]> {
      const v = await versions.get(modelName, ref);
      const rows = await db
        .selectFrom('evaluations')
        .selectAll()
        .where('model_id', '=', await modelId(modelName))
        .where('version', '=', v.version)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(100)
        .execute();
      return rows.map((r) => toEvaluation(r, modelName));
    },
  };
  return service;
}

export type EvaluationService = ReturnType<typeof createEvaluationService>;
