import type * as Ort from 'onnxruntime-node';
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
  /**
   * Every output value per row, row-major: `width` 1 for a regression value or a probability,
   * k for k class probabilities. For multiclass and regression evaluation.
   */
  scoreMatrix(table: RowTable, options?: { batchSize?: number }): Promise<{ data: Float64Array; width: number }>;
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
  // Loaded on first use: onnxruntime costs ~10 MiB and ~80 ms that servers not evaluating never need.
  const ort = await import('onnxruntime-node');
  let session: Ort.InferenceSession;
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

  /** Runs the model batch by batch; `sink` gets each batch's output tensor and its first row. */
  async function run(table: RowTable, batchSize: number, sink: (tensor: Ort.Tensor | undefined, rows: number, start: number) => void): Promise<void> {
    const columns = inputs.map((input) => {
      const j = table.header.indexOf(input.name);
      if (j < 0) throw new InvalidInputError(`table has no column "${input.name}" that the model needs`, { missing: input.name });
      return j;
    });
    const n = table.rows.length;
    for (let start = 0; start < n; start += batchSize) {
      const rows = table.rows.slice(start, Math.min(n, start + batchSize));
      const feeds: Record<string, Ort.Tensor> = {};
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
      sink(result[outputName as string], rows.length, start);
    }
  }

  async function score(table: RowTable, scoreOptions: { batchSize?: number } = {}): Promise<Float64Array> {
    const out = new Float64Array(table.rows.length);
    await run(table, scoreOptions.batchSize ?? defaultBatch, (tensor, rows, start) => copyPositiveColumn(tensor, rows, out, start));
    return out;
  }

  async function scoreMatrix(table: RowTable, scoreOptions: { batchSize?: number } = {}): Promise<{ data: Float64Array; width: number }> {
    let out = new Float64Array(0);
    let width = 0;
    await run(table, scoreOptions.batchSize ?? defaultBatch, (tensor, rows, start) => {
      if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'float64')) throw new InvalidInputError('model output is not a float tensor');
      const data = tensor.data as Float32Array | Float64Array;
      if (width === 0) {
        width = data.length / rows;
        out = new Float64Array(table.rows.length * width);
      }
      out.set(data, start * width);
    });
    return { data: out, width: Math.max(width, 1) };
  }

  return { inputs, outputName, score, scoreMatrix, close: () => session.release() };
}

/** Accepts [N], [N, 1] (probability) or [N, 2] (per-class probabilities: column 1 is positive). */
function copyPositiveColumn(tensor: Ort.Tensor | undefined, rows: number, out: Float64Array, start: number): void {
  if (!tensor || (tensor.type !== 'float32' && tensor.type !== 'float64')) {
    throw new InvalidInputError('model output is not a float tensor');
  }
  const data = tensor.data as Float32Array | Float64Array;
  const width = data.length / rows;
  if (width === 1) out.set(data, start);
  else if (width === 2) for (let i = 0; i < rows; i++) out[start + i] = data[2 * i + 1] as number;
  else throw new InvalidInputError(`model output has ${width} values per row; expected 1 or 2`);
}
