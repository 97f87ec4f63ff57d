/**
 * Uncertainty scores for active learning (label queues), higher = more uncertain, from a class
 * probability vector (a binary score p becomes [1 - p, p]):
 * - entropy: −Σ p·ln p (nats; max ln K)
 * - margin: 1 − (p₁ − p₂), the two largest probabilities
 * - least confidence: 1 − max p
 */
export type UncertaintyMethod = 'entropy' | 'margin' | 'least-confidence';

export function probabilitiesOf(scoreOrProbs: number | readonly number[]): number[] {
  return typeof scoreOrProbs === 'number' ? [1 - scoreOrProbs, scoreOrProbs] : [...scoreOrProbs];
}

export function uncertainty(scoreOrProbs: number | readonly number[], method: UncertaintyMethod): number {
  const p = probabilitiesOf(scoreOrProbs);
  if (method === 'entropy') return -p.reduce((s, v) => (v > 0 ? s + v * Math.log(v) : s), 0);
  const sorted = p.sort((a, b) => b - a);
  if (method === 'least-confidence') return 1 - (sorted[0] ?? 0);
  return 1 - ((sorted[0] ?? 0) - (sorted[1] ?? 0));
}
