import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { exportLogisticRegressionToOnnx, parseCsv, trainLogisticRegression, type RawTable } from '@steward/core';

/** The Adult census data next to the repo (`../shared/datasets/adult`), or `$STEWARD_ADULT_DIR`. */
export const ADULT_DIR = process.env.STEWARD_ADULT_DIR ?? fileURLToPath(new URL('../../shared/datasets/adult/', import.meta.url));

export const loadAdult = (split: 'train' | 'test'): RawTable => parseCsv(readFileSync(join(ADULT_DIR, `adult-${split}.csv`), 'utf8'));

export interface AdultModelOptions {
  /** Columns to leave out (a weaker model for regression demos: e.g. everything but age). */
  exclude?: string[];
  l2?: number;
}

/**
 * Trains logistic regression on adult-train (label income, positive ">50K") and exports it to
 * ONNX with its preprocessing: raw columns in, P(>50K) out. Deterministic (Newton/IRLS), so the
 * same options give the same bytes.
 */
export function makeAdultModel(train: RawTable, opts: AdultModelOptions = {}): Uint8Array {
  const model = trainLogisticRegression(train, { label: 'income', positiveClass: '>50K', ...(opts.exclude ? { exclude: opts.exclude } : {}), ...(opts.l2 !== undefined ? { l2: opts.l2 } : {}) });
  return exportLogisticRegressionToOnnx(model);
}
