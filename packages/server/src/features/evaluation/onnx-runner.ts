import * as ort from 'onnxruntime-node';
import { InvalidInputError } from '@steward/core';

/**
 * Rows of raw cells with a header; structurally the same as `RawTable` in @steward/core, so a
 * parsed CSV or a request body can be scored without conversion.
 */
export interface RowTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface OnnxRunnerInput {
  readonly name: string;
  readonly type: 'float32' | 'float64' | 'string';
}

export interface OnnxRunner {
  readonly inputs: readonly OnnxRunnerInput[];
  readonly outputName: string;
  /**
   * Probability of the positive class per row, in row order. Each model input is fed from the
   * table column of the same name: numeric cells parsed as numbers (`?`, empty or non-numeric
   * → NaN, which the exported graphs impute), string cells as they are.
   */
  score(table: RowTable, options?: { batchSize?: number }): Promise<Float64Array>;
  close(): Promise<void>;
}

export interface OnnxRunnerOptions {
  /** Output to read; default the model's first output. */
  readonly outputName?: string;
  /** Rows per session.run; default 8192 (large enough to amortize the call, small enough for memory). */
  readonly batchSize?: number;
  /** onnxruntime intra-op threads; default 1, since the machine's cores are shared. */
  readonly threads?: number;
}

const DEFAULT_BATCH = 8192;

function parseNumber(cell: string): number {
  if (cell === '' || cell === '?') return Number.NaN;
  const v = Number(cell);
  return Number.isFinite(v) ? v : Number.NaN;
}

/** Loads ONNX bytes into an onnxruntime-node session that scores raw rows in batches. */
export async function createOnnxRunner(model: Uint8Array, options: OnnxRunnerOptions = {}): Promise<OnnxRunner> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
    });
  } catch (err) {
    throw new InvalidInputError(`model is not loadable by onnxruntime: ${(err as Error).message}`);
  }
  const inputs: OnnxRunnerInput[] = session.inputMetadata.map((meta) => {
    if (!meta.isTensor || !['float32', 'float64', 'string'].includes(meta.type)) {
      throw new InvalidInputError(`model input "${meta.name}" has an unsupported type; expected float, double or string tensors`);
    }
    return { name: meta.name, type: meta.type as OnnxRunnerInput['type'] };
  });
  const outputName = options.outputName ?? session.outputNames[0];
  if (outputName === undefined || !session.outputNames.includes(outputName)) {
    throw new InvalidInputError(`model has no output "${outputName}" (has: ${session.outputNames.join(', ')})`);
  }
  const defaultBatch = options.batchSize ?? DEFAULT_BATCH;

  async function score(table: RowTable, scoreOptions: { batchSize?: number } = {}): Promise<Float64Array> {
    const batchSize = scoreOptions.batchSize ?? defaultBatch;
    const columns = inputs.map((input) => {
      const j = table.header.indexOf(input.name);
      if (j < 0) throw new InvalidInputError(`table has no column "${input.name}" that the model needs`, { missing: input.name });
      return j;
    });
    const n = table.rows.length;
    const out = new Float64Array(n);
    for (let start = 0; start < n; start += batchSize) {
      const rows = table.rows.slice(start, Math.min(n, start + batchSize));
      const feeds: Record<string, ort.Tensor> = {};
      inputs.forEach((input, k) => {
        const j = columns[k] as number;
        if (input.type === 'string') {
          feeds[input.name] = new ort.Tensor('string', rows.map((r) => r[j] ?? ''), [rows.length, 1]);
        } else {
          const data = input.type === 'float32' ? new Float32Array(rows.length) : new Float64Array(rows.length);
          for (let i = 0; i < rows.length; i++) data[i] = parseNumber(rows[i]?.[j] ?? '');
          feeds[input.name] = new ort.Tensor(input.type, data, [rows.length, 1]);
        }
      });
      const result = await session.run(feeds, [outputName as string]);
      copyPositiveColumn(result[outputName as string], rows.length, out, start);
    }
    return out;
  }

  return { inputs, outputName, score, close: () => session.release() };
}

/** Accepts [N], [N, 1] (probability) or [N, 2] (per-class probabilities: column 1 is positive). */
function copyPositiveColumn(tensor: ort.Tensor | undefined, rows: number, out: Float64Array, start: number): void {
  if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'float64')) {
    throw new InvalidInputError('model output is not a float tensor');
  }
  const data = tensor.data as Float32Array | Float64Array;
  const width = data.length / rows;
  if (width === 1) out.set(data, start);
  else if (width === 2) for (let i = 0; i < rows; i++) out[start + i] = data[2 * i + 1] as number;
  else throw new InvalidInputError(`model output has ${width} values per row; expected 1 or 2`);
}
