import { InvalidInputError } from '../errors.ts';
import { assertSameLength, type NumericArray } from './validate.ts';

/**
 * Area under the ROC curve for binary labels (1 = positive), equal to the Mann–Whitney U
 * statistic divided by n1·n0: the probability that a random positive scores above a random
 * negative, with ties counted as one half (the mid-rank convention of scipy.stats.rankdata).
 *
 * O(n log n): the positive and negative scores are copied into two Float64Arrays and sorted
 * natively (no comparator), then merged once, so 1M rows take tens of milliseconds.
 * Returns NaN when one class is absent (AUC is undefined there). NaN scores are rejected.
 */
export function rocAuc(yTrue: NumericArray, scores: NumericArray): number {
  assertSameLength('rocAuc', yTrue, scores);
  let nPos = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) nPos++;
  const nNeg = yTrue.length - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  let p = 0;
  let q = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const s = scores[i] as number;
    if (Number.isNaN(s)) throw new InvalidInputError(`rocAuc: score at row ${i} is NaN`);
    if (yTrue[i] === 1) pos[p++] = s;
    else neg[q++] = s;
  }
  pos.sort();
  neg.sort();
  // U = Σ over positives of (#negatives strictly below + ½ #negatives equal).
  let u = 0;
  let below = 0; // negatives strictly below the current positive value
  let j = 0;
  for (let i = 0; i < nPos; ) {
    const v = pos[i] as number;
    let ties = 0;
    while (i + ties < nPos && pos[i + ties] === v) ties++;
    while (j < nNeg && (neg[j] as number) < v) {
      j++;
      below++;
    }
    let equal = 0;
    while (j + equal < nNeg && neg[j + equal] === v) equal++;
    u += ties * (below + equal / 2);
    i += ties;
  }
  return u / (nPos * nNeg);
}
