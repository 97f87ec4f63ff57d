/**
 * Survival function of the two-sided one-sample Kolmogorov statistic D_n, i.e. scipy's
 * `kstwo.sf(d, n)`, which `ks_2samp(method='asymp')` evaluates at n = round(n1·n2/(n1+n2)).
 *
 * Follows scipy.stats._ksstats._kolmogn (Simard & L'Ecuyer 2011): Ruben-Gambino closed forms at
 * the ends, Durbin matrix (Marsaglia-Tsang-Wang) and Pomeranz recursions for small n·d², the
 * Pelz-Good asymptotic series otherwise, and 2 × the exact one-sided Smirnov tail (Birnbaum-Tingey
 * sum, summed in log space here instead of cephes' double-double) in the upper tail.
 */
import { logGamma } from './special.ts';
import { kolmogorovDurbin } from './ks-durbin.ts';
import { kolmogorovPomeranz } from './ks-pomeranz.ts';

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);
const MIN_LOG = -708.3964185322641; // ln of the smallest normal double

/**
 * One-sided Smirnov survival P(D_n+ >= x) (scipy.special.smirnov). For n > 1e6 cephes switches
 * to the approximation exp(-(6nx+1)²/(18n)); so do we.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return x === 0 ? 1 : 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const nx = n * x;
  const nxfl = Math.floor(nx);
  if (nxfl === 0 || (nxfl === 1 && nx === 1)) return 1 - x * Math.pow(1 + x, n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxfl >= n - 1) return Math.pow(1 - x, n);
  if (n > 1_000_000) {
    const logp = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    return Math.exp(logp);
  }
  // sf = x · Σ_{j=0}^{⌊n(1-x)⌋} C(n,j) (1-x-j/n)^(n-j) (x+j/n)^(j-1); drop the j where 1-x-j/n = 0.
  const jmax = Math.floor(n * (1 - x) + 1e-12 * n);
  let logC = 0;
  let sum = 0;
  for (let j = 0; j <= jmax; j++) {
    const a = 1 - x - j / n;
    if (a > 0) {
      const logTerm = logC + (n - j) * Math.log(a) + (j - 1) * Math.log(x + j / n);
      const term = Math.exp(logTerm);
      sum += term;
      // cephes' early exit: the remaining terms cannot move the sum by more than an ulp.
      if (term > 0 && 4 * (jmax - j) * term < Number.EPSILON * sum && j !== jmax) break;
    }
    logC += Math.log((n - j) / (j + 1));
  }
  return clip01(x * sum);
}

function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const PI2 = Math.PI * Math.PI;
  const PI4 = PI2 * PI2;
  const PI6 = PI4 * PI2;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = Math.pow(q, 8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qp + (c[i] as number);
  }
  const denom = [z, 6 * z4, 72 * z4 * z2 * z, 6480 * z6 * z4];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (denom[i] as number);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const ks2 = k * k;
    const qp = Math.pow(q, ks2);
    k2extra += ks2 * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z2 * z);
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let total = 0;
  for (let i = 0; i < 4; i++) total += (K[i] as number) / Math.pow(n, i / 2);
  return total;
}

/** P(D_n >= x) for the two-sided Kolmogorov statistic (scipy `kstwo.sf(x, n)`). */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const logCdf = logGamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1);
    return clip01(1 - Math.exp(logCdf));
  }
  if (t >= n - 1) return clip01(2 * Math.pow(1 - x, n));
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip01(1 - kolmogorovDurbin(n, x));
    if (nx2 <= 4) return clip01(1 - kolmogorovPomeranz(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100_000 && n * Math.pow(x, 1.5) <= 1.4) cdf = kolmogorovDurbin(n, x);
  else cdf = pelzGoodCdf(n, x);
  return clip01(1 - clip01(cdf));
}
