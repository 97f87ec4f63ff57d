/**
 * Confidence-Based Performance Estimation (NannyML's CBPE) for binary classifiers: with calibrated
 * scores p = P(y = 1 | x), each row contributes its *expected* confusion-matrix cell:
 *   predicted 1 (p >= t): E[TP] += p,  E[FP] += 1 - p
 *   predicted 0 (p <  t): E[FN] += p,  E[TN] += 1 - p
 * Accuracy and F1 follow from the expected cells; ROC AUC from the expected ROC curve, whose point
 * at threshold s is (Σ_{p>=s}(1-p) / Σ(1-p), Σ_{p>=s} p / Σ p), integrated by trapezoids.
 * The estimates are only as good as the calibration: callers must check it on labelled reference data.
 */
export interface CbpeEstimate {
  rows: number;
  expectedTp: number;
  expectedFp: number;
  expectedTn: number;
  expectedFn: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number;
}

function fromCells(rows: number, tp: number, fp: number, tn: number, fn: number, rocAuc: number): CbpeEstimate {
  const div = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  return {
    rows, expectedTp: tp, expectedFp: fp, expectedTn: tn, expectedFn: fn,
    accuracy: div(tp + tn, rows), precision: div(tp, tp + fp), recall: div(tp, tp + fn), f1: div(2 * tp, 2 * tp + fp + fn), rocAuc,
  };
}

/** Expected-ROC AUC from score groups sorted by descending score: each group has a weight of positives and negatives. */
function expectedAuc(groups: Array<{ pos: number; neg: number }>): number {
  let totalPos = 0;
  let totalNeg = 0;
  for (const g of groups) { totalPos += g.pos; totalNeg += g.neg; }
  if (!(totalPos > 0) || !(totalNeg > 0)) return Number.NaN;
  let auc = 0;
  let tpr = 0;
  let fpr = 0;
  for (const g of groups) {
    const nt = tpr + g.pos / totalPos;
    const nf = fpr + g.neg / totalNeg;
    auc += ((nf - fpr) * (nt + tpr)) / 2;
    tpr = nt;
    fpr = nf;
  }
  return auc;
}

/** CBPE on raw scores (each in [0, 1]); ties in score form one ROC step. */
export function cbpeFromScores(scores: ArrayLike<number>, threshold = 0.5): CbpeEstimate {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  const sorted = Float64Array.from(scores).sort().reverse();
  for (const p of sorted) {
    if (p >= threshold) { tp += p; fp += 1 - p; } else { fn += p; tn += 1 - p; }
  }
  const groups: Array<{ pos: number; neg: number }> = [];
  for (let i = 0; i < sorted.length;) {
    const v = sorted[i] as number;
    let pos = 0, neg = 0;
    while (i < sorted.length && sorted[i] === v) { pos += v; neg += 1 - v; i++; }
    groups.push({ pos, neg });
  }
  return fromCells(sorted.length, tp, fp, tn, fn, expectedAuc(groups));
}

/**
 * Mergeable score histogram for CBPE over windows: `bins` equal bins on [0, 1], each keeping the
 * row count and the sum of scores, so expected cells are exact whenever the threshold is a bin edge
 * (0.5 with an even bin count); AUC treats each bin as one tie group (error < 1/bins).
 */
export interface ScoreHistogram {
  counts: number[];
  sums: number[];
}

export const SCORE_BINS = 100;

export function emptyScoreHistogram(bins = SCORE_BINS): ScoreHistogram {
  return { counts: new Array<number>(bins).fill(0), sums: new Array<number>(bins).fill(0) };
}

export function addScore(h: ScoreHistogram, p: number): void {
  const bins = h.counts.length;
  const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
  h.counts[b] = (h.counts[b] as number) + 1;
  h.sums[b] = (h.sums[b] as number) + p;
}

export function mergeScoreHistograms(a: ScoreHistogram, b: ScoreHistogram): ScoreHistogram {
  if (a.counts.length !== b.counts.length) throw new RangeError('score histograms differ in bin count');
  return { counts: a.counts.map((c, i) => c + (b.counts[i] as number)), sums: a.sums.map((s, i) => s + (b.sums[i] as number)) };
}

export function cbpeFromHistogram(h: ScoreHistogram, threshold = 0.5): CbpeEstimate {
  const bins = h.counts.length;
  let tp = 0, fp = 0, tn = 0, fn = 0, rows = 0;
  const groups: Array<{ pos: number; neg: number }> = [];
  for (let b = bins - 1; b >= 0; b--) {
    const n = h.counts[b] as number;
    const s = h.sums[b] as number;
    if (n === 0) continue;
    rows += n;
    // A bin lies wholly on one side of a threshold that is a bin edge.
    if (b / bins >= threshold) { tp += s; fp += n - s; } else { fn += s; tn += n - s; }
    groups.push({ pos: s, neg: n - s });
  }
  return fromCells(rows, tp, fp, tn, fn, expectedAuc(groups));
}
