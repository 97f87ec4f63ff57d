import { InvalidInputError } from '../errors.ts';
import { DEFAULT_THRESHOLD } from './binary.ts';
import { assertBinaryLabels, assertSameLength, type NumericArray } from './validate.ts';

/** A sensitive column as dense integer codes: `codes[i]` indexes `names`. */
export interface EncodedGroups {
  readonly codes: ArrayLike<number>;
  readonly names: readonly string[];
}

export interface GroupRates {
  readonly group: string;
  readonly count: number;
  /** Share of rows predicted positive. NaN for an empty group. */
  readonly selectionRate: number;
  /** tp / (tp + fn); NaN when the group has no true positives to find. */
  readonly truePositiveRate: number;
  /** fp / (fp + tn); NaN when the group has no true negatives. */
  readonly falsePositiveRate: number;
  readonly accuracy: number;
}

/**
 * Fairlearn's between-group definitions (fairlearn.metrics, method='between_groups'):
 * - demographic_parity_difference = max − min of selection rate across groups
 * - demographic_parity_ratio      = min / max of selection rate
 * - equalized_odds_difference     = max(TPR max − min, FPR max − min)
 * - equalized_odds_ratio          = min(TPR min / max, FPR min / max)
 * - equal_opportunity_difference  = TPR max − min
 * Groups where a rate is undefined (NaN) are left out of that rate's max and min; a ratio whose
 * max is 0 is NaN, as 0/0 is in numpy.
 */
export interface FairnessReport {
  readonly groups: GroupRates[];
  readonly demographicParityDifference: number;
  readonly demographicParityRatio: number;
  readonly equalizedOddsDifference: number;
  readonly equalizedOddsRatio: number;
  readonly equalOpportunityDifference: number;
}

/** Codes a string column; group names are sorted so reports are stable across runs. */
export function encodeGroups(values: readonly string[]): EncodedGroups {
  const names = [...new Set(values)].sort();
  const index = new Map(names.map((name, i) => [name, i]));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = index.get(values[i] as string) as number;
  return { codes, names };
}

function spread(values: number[]): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min > max ? { min: Number.NaN, max: Number.NaN } : { min, max };
}

const difference = (values: number[]): number => {
  const s = spread(values);
  return s.max - s.min;
};
const ratio = (values: number[]): number => {
  const s = spread(values);
  return s.max === 0 ? Number.NaN : s.min / s.max;
};

/**
 * Per-group rates and Fairlearn disparities for one sensitive column, in a single pass.
 * A row is predicted positive when `scores[i] >= threshold` (pass 0/1 predictions with the
 * default threshold 0.5 to use hard labels).
 */
export function fairnessMetrics(
  yTrue: NumericArray,
  scores: NumericArray,
  sensitive: EncodedGroups | readonly string[],
  threshold = DEFAULT_THRESHOLD,
): FairnessReport {
  assertSameLength('fairnessMetrics', yTrue, scores);
  assertBinaryLabels('fairnessMetrics', yTrue);
  const groups = Array.isArray(sensitive) ? encodeGroups(sensitive as readonly string[]) : (sensitive as EncodedGroups);
  if (groups.codes.length !== yTrue.length) {
    throw new InvalidInputError(`fairnessMetrics: sensitive column has ${groups.codes.length} rows, labels have ${yTrue.length}`);
  }
  const k = groups.names.length;
  // Per group: [count, predicted positive, true positive, actual positive].
  const counts = new Float64Array(k * 4);
  for (let i = 0; i < yTrue.length; i++) {
    const g = groups.codes[i] as number;
    if (!(g >= 0 && g < k)) throw new InvalidInputError(`fairnessMetrics: group code ${g} at row ${i} has no name`);
    const y = yTrue[i] as number;
    const hit = (scores[i] as number) >= threshold ? 1 : 0;
    const o = g * 4;
    counts[o]! += 1;
    counts[o + 1]! += hit;
    counts[o + 2]! += hit & y;
    counts[o + 3]! += y;
  }
  const rates: GroupRates[] = groups.names.map((group, g) => {
    const [n, predPos, tp, pos] = [counts[g * 4]!, counts[g * 4 + 1]!, counts[g * 4 + 2]!, counts[g * 4 + 3]!];
    const fp = predPos - tp;
    const neg = n - pos;
    return {
      group,
      count: n,
      selectionRate: n === 0 ? Number.NaN : predPos / n,
      truePositiveRate: pos === 0 ? Number.NaN : tp / pos,
      falsePositiveRate: neg === 0 ? Number.NaN : fp / neg,
      accuracy: n === 0 ? Number.NaN : (tp + (neg - fp)) / n,
    };
  });
  const selection = rates.map((r) => r.selectionRate);
  const tpr = rates.map((r) => r.truePositiveRate);
  const fpr = rates.map((r) => r.falsePositiveRate);
  return {
    groups: rates,
    demographicParityDifference: difference(selection),
    demographicParityRatio: ratio(selection),
    equalizedOddsDifference: Math.max(difference(tpr), difference(fpr)),
    equalizedOddsRatio: Math.min(ratio(tpr), ratio(fpr)),
    equalOpportunityDifference: difference(tpr),
  };
}

/** `fairnessMetrics` for each sensitive column, keyed by column name. */
export function fairnessByColumn(
  yTrue: NumericArray,
  scores: NumericArray,
  columns: Readonly<Record<string, EncodedGroups | readonly string[]>>,
  threshold = DEFAULT_THRESHOLD,
): Record<string, FairnessReport> {
  const out: Record<string, FairnessReport> = {};
  for (const [name, column] of Object.entries(columns)) out[name] = fairnessMetrics(yTrue, scores, column, threshold);
  return out;
}
