import { InvalidInputError } from '../errors.ts';
import { LOG_LOSS_EPS } from './binary.ts';
import { rocAuc } from './roc-auc.ts';
import { assertSameLength, safeDivide, type NumericArray } from './validate.ts';

export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of true rows of the class. */
  readonly support: number;
}

export interface MulticlassScores {
  readonly accuracy: number;
  readonly perClass: ClassScores[];
  /** Unweighted mean over classes of per-class precision / recall / F1 (sklearn average='macro'). */
  readonly macro: { precision: number; recall: number; f1: number };
  /** From summed tp/fp/fn over classes; for single-label data all three equal accuracy. */
  readonly micro: { precision: number; recall: number; f1: number };
}

export interface MulticlassMetrics extends MulticlassScores {
  readonly n: number;
  /** confusion[true][predicted], counts. */
  readonly confusion: number[][];
  /** Mean −ln p[true class], each probability clipped to [eps, 1−eps]; rows are not renormalized. */
  readonly logLoss: number;
  /** One-vs-rest ROC AUC per class (NaN for a class absent or present in every row). */
  readonly rocAucPerClass: number[];
  /** Mean of the defined per-class one-vs-rest AUCs (sklearn multi_class='ovr', average='macro'). */
  readonly rocAucMacro: number;
}

function checkLabel(what: string, y: number, classes: number, row: number): number {
  if (!Number.isInteger(y) || y < 0 || y >= classes) {
    throw new InvalidInputError(`${what}: label at row ${row} is ${y}, expected an integer in [0, ${classes})`);
  }
  return y;
}

/** confusion[true][predicted] for integer labels in [0, classes). */
export function multiclassConfusion(yTrue: NumericArray, yPred: NumericArray, classes: number): number[][] {
  assertSameLength('multiclassConfusion', yTrue, yPred);
  const flat = new Float64Array(classes * classes);
  for (let i = 0; i < yTrue.length; i++) {
    const t = checkLabel('multiclassConfusion', yTrue[i] as number, classes, i);
    const p = checkLabel('multiclassConfusion', yPred[i] as number, classes, i);
    flat[t * classes + p]! += 1;
  }
  return Array.from({ length: classes }, (_, t) => Array.from(flat.subarray(t * classes, (t + 1) * classes)));
}

/** Accuracy, per-class, macro and micro precision/recall/F1 from a confusion matrix (zero_division = 0). */
export function multiclassScores(confusion: number[][]): MulticlassScores {
  const k = confusion.length;
  let total = 0;
  let correct = 0;
  const predicted = new Float64Array(k);
  const perClass: ClassScores[] = [];
  for (let t = 0; t < k; t++) {
    const row = confusion[t] ?? [];
    for (let p = 0; p < k; p++) {
      total += row[p] ?? 0;
      predicted[p]! += row[p] ?? 0;
    }
    correct += row[t] ?? 0;
  }
  let sumTp = 0;
  let sumFp = 0;
  let sumFn = 0;
  for (let c = 0; c < k; c++) {
    const row = confusion[c] ?? [];
    const tp = row[c] ?? 0;
    const support = row.reduce((a, b) => a + b, 0);
    const fp = (predicted[c] as number) - tp;
    const fn = support - tp;
    sumTp += tp;
    sumFp += fp;
    sumFn += fn;
    perClass.push({
      precision: safeDivide(tp, tp + fp, 0),
      recall: safeDivide(tp, tp + fn, 0),
      f1: safeDivide(2 * tp, 2 * tp + fp + fn, 0),
      support,
    });
  }
  const mean = (f: (s: ClassScores) => number): number => perClass.reduce((a, s) => a + f(s), 0) / k;
  return {
    accuracy: safeDivide(correct, total, 0),
    perClass,
    macro: { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) },
    micro: {
      precision: safeDivide(sumTp, sumTp + sumFp, 0),
      recall: safeDivide(sumTp, sumTp + sumFn, 0),
      f1: safeDivide(2 * sumTp, 2 * sumTp + sumFp + sumFn, 0),
    },
  };
}

/**
 * Multiclass metrics from integer labels and a row-major n×classes probability matrix.
 * The predicted class is the arg-max (the lowest index wins a tie).
 */
export function multiclassClassificationMetrics(
  yTrue: NumericArray,
  probs: NumericArray,
  classes: number,
  eps = LOG_LOSS_EPS,
): MulticlassMetrics {
  const n = yTrue.length;
  if (n === 0 || probs.length !== n * classes) {
    throw new InvalidInputError(`multiclassClassificationMetrics: expected ${n}×${classes} probabilities, got ${probs.length}`);
  }
  const yPred = new Int32Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const t = checkLabel('multiclassClassificationMetrics', yTrue[i] as number, classes, i);
    let best = 0;
    for (let c = 1; c < classes; c++) if ((probs[i * classes + c] as number) > (probs[i * classes + best] as number)) best = c;
    yPred[i] = best;
    const raw = probs[i * classes + t] as number;
    loss -= Math.log(raw < eps ? eps : raw > 1 - eps ? 1 - eps : raw);
  }
  const confusion = multiclassConfusion(yTrue, yPred, classes);
  const rocAucPerClass: number[] = [];
  const isClass = new Uint8Array(n);
  const column = new Float64Array(n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < n; i++) {
      isClass[i] = yTrue[i] === c ? 1 : 0;
      column[i] = probs[i * classes + c] as number;
    }
    rocAucPerClass.push(rocAuc(isClass, column));
  }
  const defined = rocAucPerClass.filter((a) => !Number.isNaN(a));
  return {
    n,
    confusion,
    ...multiclassScores(confusion),
    logLoss: loss / n,
    rocAucPerClass,
    rocAucMacro: defined.length === 0 ? Number.NaN : defined.reduce((a, b) => a + b, 0) / defined.length,
  };
}
