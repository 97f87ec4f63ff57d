import { InvalidInputError } from '../errors.ts';
import { assertSameLength, type NumericArray } from './validate.ts';

/** Default number of equal-width bins on [0, 1] for the expected calibration error. */
export const DEFAULT_ECE_BINS = 10;

export interface CalibrationBin {
  /** Inclusive lower edge; the upper edge is `lower + 1/bins` (inclusive only for the last bin). */
  readonly lower: number;
  readonly count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  readonly meanPredicted: number;
  /** Share of positives in the bin (NaN when empty). */
  readonly fractionPositive: number;
}

/**
 * Bin index of a probability: bins are [k/B, (k+1)/B) for k < B-1 and the last bin is
 * [(B-1)/B, 1], so p = 1 falls in the last bin. Computed as min(floor(p·B), B-1).
 */
export function calibrationBinIndex(p: number, bins: number): number {
  const k = Math.floor(p * bins);
  return k >= bins ? bins - 1 : k;
}

/**
 * Reliability table and expected calibration error (Naeini et al. 2015, Guo et al. 2017):
 * ECE = Σ_b (n_b / n) · |mean(y in b) − mean(p in b)| over equal-width bins of the predicted
 * probability of the positive class. Empty bins contribute nothing.
 */
export function calibration(
  yTrue: NumericArray,
  probs: NumericArray,
  bins = DEFAULT_ECE_BINS,
): { ece: number; bins: CalibrationBin[] } {
  assertSameLength('calibration', yTrue, probs);
  if (!Number.isInteger(bins) || bins < 1) throw new InvalidInputError(`calibration: bins must be a positive integer, got ${bins}`);
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i] as number;
    if (!(p >= 0 && p <= 1)) throw new InvalidInputError(`calibration: probability at row ${i} is ${p}, expected [0, 1]`);
    const k = calibrationBinIndex(p, bins);
    count[k]! += 1;
    sumP[k]! += p;
    sumY[k]! += yTrue[i] as number;
  }
  let ece = 0;
  const table: CalibrationBin[] = [];
  for (let k = 0; k < bins; k++) {
    const n = count[k] as number;
    const meanPredicted = n === 0 ? Number.NaN : (sumP[k] as number) / n;
    const fractionPositive = n === 0 ? Number.NaN : (sumY[k] as number) / n;
    if (n > 0) ece += (n / probs.length) * Math.abs(fractionPositive - meanPredicted);
    table.push({ lower: k / bins, count: n, meanPredicted, fractionPositive });
  }
  return { ece, bins: table };
}

/** Expected calibration error alone; see `calibration`. */
export function expectedCalibrationError(yTrue: NumericArray, probs: NumericArray, bins = DEFAULT_ECE_BINS): number {
  return calibration(yTrue, probs, bins).ece;
}
