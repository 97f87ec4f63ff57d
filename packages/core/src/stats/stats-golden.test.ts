/** Every statistic against scipy/numpy values produced by tools/goldens/drift_golden.py. */
import { describe, expect, it } from 'vitest';
import golden from './drift-golden.json' with { type: 'json' };
import { chi2Sf, normalCdf, normalSf } from './special.ts';
import { kolmogorovSf, smirnovSf } from './ks-distribution.ts';
import { ksTwoSample } from './ks-two-sample.ts';
import { chiSquareTest } from './chisquare.ts';
import { normedWasserstein, wassersteinDistance } from './wasserstein.ts';
import { jensenShannonDistance } from './jensen-shannon.ts';
import { psiOnDeciles } from './psi.ts';
import { decileEdges } from './binning.ts';
import { twoProportionZTest } from './z-test.ts';
import { benjaminiHochberg, bonferroni } from './multiple-testing.ts';

/** |actual - expected| <= 1e-6 · max(1, |expected|): absolute for probabilities, relative for large statistics. */
function close(actual: number, expected: number, what: string): void {
  const tol = 1e-6 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, scipy ${expected}`);
}

describe('goldens from scipy', () => {
  it('ks_2samp (exact and asymptotic, ties)', () => {
    for (const c of golden.ks) {
      const r = ksTwoSample(c.a, c.b);
      close(r.statistic, c.statistic, `${c.name} D`);
      close(r.pValue, c.pvalue, `${c.name} p`);
    }
  });
  it('kstwo.sf across regimes', () => {
    for (const c of golden.kstwo) close(kolmogorovSf(c.n, c.d), c.sf, `kstwo n=${c.n} d=${c.d}`);
  });
  it('smirnov one-sided', () => {
    for (const c of golden.smirnov) close(smirnovSf(c.n, c.d), c.sf, `smirnov n=${c.n} d=${c.d}`);
  });
  it('chisquare', () => {
    for (const c of golden.chisquare) {
      const r = chiSquareTest(c.observed, c.expected);
      close(r.statistic, c.statistic, 'chi2 stat');
      close(r.pValue, c.pvalue, 'chi2 p');
    }
  });
  it('chi2.sf and norm.sf / norm.cdf', () => {
    for (const c of golden.chi2sf) close(chi2Sf(c.x, c.dof), c.sf, `chi2.sf(${c.x}, ${c.dof})`);
    for (const c of golden.normsf) {
      close(normalSf(c.z), c.sf, `norm.sf(${c.z})`);
      close(normalCdf(c.z), c.cdf, `norm.cdf(${c.z})`);
      // far tail: relative accuracy too
      if (c.sf > 0) expect(Math.abs(normalSf(c.z) / c.sf - 1)).toBeLessThan(1e-9);
    }
  });
  it('wasserstein_distance and Evidently normed score', () => {
    for (const c of golden.wasserstein) {
      close(wassersteinDistance(c.u, c.v), c.distance, 'wasserstein');
      close(normedWasserstein(c.u, c.v), c.normed, 'normed wasserstein');
    }
  });
  it('jensenshannon (natural log default, base 2)', () => {
    for (const c of golden.jensenshannon) {
      close(jensenShannonDistance(c.p, c.q), c.distance, 'js');
      close(jensenShannonDistance(c.p, c.q, 2), c.distanceBase2, 'js base 2');
    }
  });
  it('PSI on deduplicated reference deciles', () => {
    for (const c of golden.psi) {
      const edges = decileEdges(Float64Array.from(c.reference).sort());
      expect(edges.length).toBe(c.edges.length);
      edges.forEach((e, i) => close(e, c.edges[i] as number, 'edge'));
      close(psiOnDeciles(c.reference, c.current), c.psi, 'psi');
    }
  });
  it('two-proportion z-test', () => {
    for (const c of golden.ztest) {
      const r = twoProportionZTest(c.x1, c.n1, c.x2, c.n2);
      close(r.statistic, c.z, 'z');
      close(r.pValue, c.pvalue, 'z p');
    }
  });
  it('Bonferroni and Benjamini-Hochberg', () => {
    const mt = golden.multipleTesting;
    bonferroni(mt.p).forEach((v, i) => close(v, mt.bonferroni[i] as number, 'bonferroni'));
    benjaminiHochberg(mt.p).forEach((v, i) => close(v, mt.bh[i] as number, 'bh'));
  });
});
