/**
 * Jensen-Shannon distance, scipy.spatial.distance.jensenshannon(p, q, base=None): both vectors are
 * normalised to sum 1, natural log, and the result is the square root of the divergence, in [0, √ln2].
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const k = p.length;
  if (k !== q.length || k === 0) throw new RangeError('p and q must be non-empty and of equal length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < k; i++) {
    sp += p[i] as number;
    sq += q[i] as number;
  }
  let js = 0;
  for (let i = 0; i < k; i++) {
    const pi = (p[i] as number) / sp;
    const qi = (q[i] as number) / sq;
    const m = (pi + qi) / 2;
    // rel_entr(x, m) = x·ln(x/m), 0 when x = 0.
    if (pi > 0) js += pi * Math.log(pi / m);
    if (qi > 0) js += qi * Math.log(qi / m);
  }
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js) / 2);
}
