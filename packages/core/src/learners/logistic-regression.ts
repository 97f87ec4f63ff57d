import { InvalidInputError } from '../errors.ts';
import type { RawTable } from '../datasets/raw-table.ts';
import { choleskySolve } from './cholesky.ts';
import { binaryLabels, encodeRows, inferFeatureSpec, type EncodedRows, type FeatureSpec } from './feature-spec.ts';

/**
 * A trained binary logistic regression over raw columns. Plain JSON data: it can be stored as
 * a version's params, exported to ONNX (`exportLogisticRegressionToOnnx`) or scored in TS.
 * Weights apply to standardized numerics and to one-hot indicators.
 */
export interface LogisticRegressionModel {
  readonly kind: 'logistic-regression';
  readonly label: string;
  readonly positiveClass: string;
  readonly spec: FeatureSpec;
  readonly intercept: number;
  /** One weight per `spec.numeric` entry, on the standardized scale. */
  readonly numericWeights: readonly number[];
  /** Per `spec.categorical` entry, one weight per category (same order as `categories`). */
  readonly categoricalWeights: readonly (readonly number[])[];
  readonly training: {
    readonly rows: number;
    readonly l2: number;
    readonly iterations: number;
    /** Final regularized mean log loss. */
    readonly objective: number;
    /** Max-norm of the final gradient. */
    readonly gradientNorm: number;
  };
}

export interface LogisticRegressionOptions {
  readonly label: string;
  /** Label value counted as class 1. */
  readonly positiveClass: string;
  /** Further columns to ignore besides the label. */
  readonly exclude?: readonly string[];
  /** Columns to one-hot even if numeric-looking. */
  readonly categorical?: readonly string[];
  /** λ in mean log loss + λ/2·‖w‖² (the intercept is not penalized). Default 1e-4. */
  readonly l2?: number;
  readonly maxIterations?: number;
  /** Stop when the gradient's max-norm falls below this. Default 1e-9. */
  readonly tolerance?: number;
}

const softplus = (z: number): number => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Linear predictor per row; theta = [feature weights…, intercept]. */
function linear(x: EncodedRows, p: number, c: number, theta: Float64Array): Float64Array {
  const z = new Float64Array(x.n);
  const b = theta[x.dim] as number;
  for (let i = 0; i < x.n; i++) {
    let s = b;
    for (let k = 0; k < p; k++) s += (x.dense[i * p + k] as number) * (theta[k] as number);
    for (let k = 0; k < c; k++) {
      const a = x.active[i * c + k] as number;
      if (a >= 0) s += theta[a] as number;
    }
    z[i] = s;
  }
  return z;
}

function objective(z: Float64Array, y: Uint8Array, theta: Float64Array, dim: number, l2: number): number {
  let loss = 0;
  for (let i = 0; i < z.length; i++) loss += softplus(z[i] as number) - (y[i] as number) * (z[i] as number);
  let ww = 0;
  for (let k = 0; k < dim; k++) ww += (theta[k] as number) ** 2;
  return loss / z.length + (l2 / 2) * ww;
}

/**
 * Fits by Newton's method (IRLS) with Armijo backtracking on the full batch: deterministic, no
 * random order, converges in ~10 steps. The Hessian is accumulated from each row's few nonzero
 * features (numerics + one active category per column + intercept), so a step costs
 * O(n·(p+c)²) rather than O(n·dim²).
 */
export function trainLogisticRegression(table: RawTable, options: LogisticRegressionOptions): LogisticRegressionModel {
  const l2 = options.l2 ?? 1e-4;
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 50;
  if (!(l2 >= 0)) throw new InvalidInputError(`l2 must be >= 0, got ${l2}`);
  const spec = inferFeatureSpec(table, {
    exclude: [options.label, ...(options.exclude ?? [])],
    ...(options.categorical ? { categorical: options.categorical } : {}),
  });
  const y = binaryLabels(table, options.label, options.positiveClass);
  const x = encodeRows(spec, table);
  if (x.n === 0) throw new InvalidInputError('no training rows');
  const p = spec.numeric.length;
  const c = spec.categorical.length;
  const m = x.dim + 1;
  const theta = new Float64Array(m);
  let z = linear(x, p, c, theta);
  let f = objective(z, y, theta, x.dim, l2);
  let gradientNorm = Number.POSITIVE_INFINITY;
  let iterations = 0;
  const idx = new Int32Array(p + c + 1);
  const val = new Float64Array(p + c + 1);
  for (; iterations < maxIterations; iterations++) {
    const g = new Float64Array(m);
    const h = new Float64Array(m * m);
    for (let i = 0; i < x.n; i++) {
      const mu = sigmoid(z[i] as number);
      const r = mu - (y[i] as number);
      const w = mu * (1 - mu);
      let nnz = 0;
      for (let k = 0; k < p; k++) (idx[nnz] = k), (val[nnz++] = x.dense[i * p + k] as number);
      for (let k = 0; k < c; k++) {
        const a = x.active[i * c + k] as number;
        if (a >= 0) (idx[nnz] = a), (val[nnz++] = 1);
      }
      (idx[nnz] = x.dim), (val[nnz++] = 1);
      for (let s = 0; s < nnz; s++) {
        const a = idx[s] as number;
        const va = val[s] as number;
        g[a]! += r * va;
        const row = a * m;
        for (let t = 0; t < nnz; t++) h[row + (idx[t] as number)]! += w * va * (val[t] as number);
      }
    }
    gradientNorm = 0;
    for (let a = 0; a < m; a++) {
      const reg = a < x.dim ? l2 : 0;
      g[a] = (g[a] as number) / x.n + reg * (theta[a] as number);
      for (let b = 0; b < m; b++) h[a * m + b] = (h[a * m + b] as number) / x.n;
      h[a * m + a]! += reg;
      gradientNorm = Math.max(gradientNorm, Math.abs(g[a] as number));
    }
    if (gradientNorm < tolerance) break;
    const step = solveDamped(h, g, m);
    let t = 1;
    const slope = -dot(g, step); // directional derivative along −step
    for (;;) {
      const trial = theta.map((v, a) => v - t * (step[a] as number));
      const zt = linear(x, p, c, trial);
      const ft = objective(zt, y, trial, x.dim, l2);
      if (ft <= f + 1e-4 * t * slope || t < 1e-10) {
        theta.set(trial);
        z = zt;
        f = ft;
        break;
      }
      t /= 2;
    }
  }
  let offset = p;
  const categoricalWeights = spec.categorical.map((feature) => {
    const w = Array.from(theta.subarray(offset, offset + feature.categories.length));
    offset += feature.categories.length;
    return w;
  });
  return {
    kind: 'logistic-regression',
    label: options.label,
    positiveClass: options.positiveClass,
    spec,
    intercept: theta[x.dim] as number,
    numericWeights: Array.from(theta.subarray(0, p)),
    categoricalWeights,
    training: { rows: x.n, l2, iterations, objective: f, gradientNorm },
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Newton direction; adds growing ridge damping if the Hessian is numerically singular (l2 = 0). */
function solveDamped(h: Float64Array, g: Float64Array, m: number): Float64Array {
  for (let damping = 0; ; damping = damping === 0 ? 1e-10 : damping * 10) {
    const a = h.slice();
    for (let i = 0; i < m; i++) a[i * m + i]! += damping;
    const step = choleskySolve(a, g, m);
    if (step) return step;
    if (damping > 1e6) throw new InvalidInputError('logistic regression: Hessian is not positive definite');
  }
}

/** Log-odds of the positive class for each row of a raw table (float64). */
export function predictLogit(model: LogisticRegressionModel, table: RawTable): Float64Array {
  const x = encodeRows(model.spec, table);
  const theta = new Float64Array(x.dim + 1);
  theta.set(model.numericWeights, 0);
  let offset = model.numericWeights.length;
  for (const w of model.categoricalWeights) {
    theta.set(w, offset);
    offset += w.length;
  }
  theta[x.dim] = model.intercept;
  return linear(x, model.spec.numeric.length, model.spec.categorical.length, theta);
}

/** Probability of `positiveClass` for each row of a raw table (float64). */
export function predictProba(model: LogisticRegressionModel, table: RawTable): Float64Array {
  return predictLogit(model, table).map(sigmoid);
}
