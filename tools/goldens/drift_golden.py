#!/usr/bin/env python3
"""Golden values for packages/core/src/stats, computed by scipy/numpy (the independent reference).

Run:  python3 tools/goldens/drift_golden.py   (numpy >= 2, scipy >= 1.11; seeded, deterministic)
Writes packages/core/src/stats/drift-golden.json. The TypeScript tests compare to 1e-6.
"""
import json
import pathlib

import numpy as np
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

rng = np.random.default_rng(20240611)
OUT = pathlib.Path(__file__).resolve().parents[2] / 'packages/core/src/stats/drift-golden.json'


def arr(x, decimals=4):
    return [float(v) for v in np.round(np.asarray(x, dtype=float), decimals)]


def ks_case(name, a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    r = stats.ks_2samp(a, b)  # method='auto', two-sided
    return {'name': name, 'a': arr(a), 'b': arr(b), 'statistic': float(r.statistic), 'pvalue': float(r.pvalue)}


def rounded(x, d=4):
    return np.round(x, d)


ks = [
    ks_case('tiny 5x7', rounded(rng.normal(size=5)), rounded(rng.normal(0.5, 1, size=7))),
    ks_case('equal 20x20', rounded(rng.normal(size=20)), rounded(rng.normal(0.3, 1, size=20))),
    ks_case('ties ints 50x80', rng.integers(0, 8, 50), rng.integers(1, 9, 80)),
    ks_case('equal 300x300 shift', rounded(rng.normal(size=300)), rounded(rng.normal(0.2, 1, size=300))),
    ks_case('300x1000 same', rounded(rng.normal(size=300)), rounded(rng.normal(size=1000))),
    ks_case('1000x997 scale', rounded(rng.normal(size=1000)), rounded(rng.normal(0, 1.1, size=997))),
    ks_case('ties 400x900', rng.integers(0, 20, 400), rng.integers(0, 21, 900)),
    ks_case('identical 100', np.arange(100.0), np.arange(100.0)),
    ks_case('disjoint 30x40', np.arange(30.0), np.arange(100.0, 140.0)),
    ks_case('asymp 600x11000', rounded(rng.normal(size=600), 3), rounded(rng.normal(0.05, 1, size=11000), 3)),
    ks_case('asymp 10001x10001', rounded(rng.normal(size=10001), 2), rounded(rng.normal(0.03, 1, size=10001), 2)),
]

kstwo = []
for n in [10, 50, 140, 141, 500, 999, 5000, 100000, 500000]:
    for z in [0.3, 0.5, 0.8, 1.0, 1.2, 1.36, 1.6, 2.0, 3.0]:
        d = z / np.sqrt(n)
        if d < 1:
            kstwo.append({'n': n, 'd': float(d), 'sf': float(stats.kstwo.sf(d, n))})
    for d in [0.6, 0.95, 0.5 / n + 0.6 / n]:
        kstwo.append({'n': n, 'd': float(d), 'sf': float(stats.kstwo.sf(d, n))})

smirnov = [{'n': n, 'd': d, 'sf': float(special.smirnov(n, d))}
           for n in [2, 5, 30, 200, 2000] for d in [0.01, 0.05, 0.1, 0.3, 0.6]]

chisq = []
for k in [2, 3, 5, 12]:
    exp = rng.uniform(5, 50, k)
    obs = rng.poisson(exp).astype(float)
    exp = exp * obs.sum() / exp.sum()
    r = stats.chisquare(obs, exp)
    chisq.append({'observed': [float(v) for v in obs], 'expected': [float(v) for v in exp],
                  'statistic': float(r.statistic), 'pvalue': float(r.pvalue)})

chi2sf = [{'x': x, 'dof': k, 'sf': float(stats.chi2.sf(x, k))}
          for k in [1, 2, 3, 7, 30, 200, 5000] for x in [0.01, 0.5, 1.0, 3.84, 10.0, 50.0, 250.0, 5100.0]]
normsf = [{'z': z, 'sf': float(stats.norm.sf(z)), 'cdf': float(stats.norm.cdf(z))}
          for z in [-8.0, -3.0, -1.96, -0.5, 0.0, 0.3, 1.0, 1.96, 3.0, 5.0, 8.0, 20.0]]

wass = []
for (n1, n2, shift) in [(5, 3, 0.0), (100, 150, 0.5), (2000, 1500, 0.1)]:
    u = rounded(rng.normal(size=n1))
    v = rounded(rng.normal(shift, 1.3, size=n2))
    wass.append({'u': arr(u), 'v': arr(v), 'distance': float(stats.wasserstein_distance(u, v)),
                 'normed': float(stats.wasserstein_distance(u, v) / max(np.std(u), 0.001))})
wass.append({'u': [1.0, 1.0, 2.0], 'v': [1.0, 3.0, 3.0, 3.0],
             'distance': float(stats.wasserstein_distance([1, 1, 2], [1, 3, 3, 3])),
             'normed': float(stats.wasserstein_distance([1, 1, 2], [1, 3, 3, 3]) / max(np.std([1, 1, 2]), 0.001))})

js = []
for k in [2, 4, 10]:
    p = rng.uniform(0, 1, k)
    q = rng.uniform(0, 1, k)
    js.append({'p': [float(v) for v in p], 'q': [float(v) for v in q], 'distance': float(jensenshannon(p, q)),
               'distanceBase2': float(jensenshannon(p, q, base=2))})
js.append({'p': [1.0, 0.0, 0.0], 'q': [0.0, 0.5, 0.5], 'distance': float(jensenshannon([1, 0, 0], [0, 0.5, 0.5])),
           'distanceBase2': float(jensenshannon([1, 0, 0], [0, 0.5, 0.5], base=2))})


def psi_deciles(ref, cur, floor=1e-4):
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))  # sorted, deduplicated
    rb = np.bincount(np.searchsorted(edges, ref, side='right'), minlength=len(edges) + 1) / len(ref)
    cb = np.bincount(np.searchsorted(edges, cur, side='right'), minlength=len(edges) + 1) / len(cur)
    rb, cb = np.maximum(rb, floor), np.maximum(cb, floor)
    return float(np.sum((cb - rb) * np.log(cb / rb))), [float(e) for e in edges]


psi = []
for (ref, cur) in [(rounded(rng.normal(size=1000)), rounded(rng.normal(0.3, 1, size=800))),
                   (rng.integers(0, 4, 500).astype(float), rng.integers(0, 6, 700).astype(float)),
                   (rounded(rng.exponential(size=3000)), rounded(rng.exponential(1.2, size=3000)))]:
    value, edges = psi_deciles(ref, cur)
    psi.append({'reference': arr(ref), 'current': arr(cur), 'psi': value, 'edges': edges})


def ztest(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    P = (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1 / n1 + 1 / n2))
    return {'x1': x1, 'n1': n1, 'x2': x2, 'n2': n2, 'z': float(z), 'pvalue': float(2 * stats.norm.sf(abs(z)))}


zt = [ztest(30, 100, 45, 120), ztest(500, 1000, 480, 1000), ztest(3, 50, 20, 60)]


def bh(p):
    p = np.asarray(p)
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1)
    return [float(v) for v in out]


pv = [float(v) for v in rng.uniform(0, 0.2, 12)]
mt = {'p': pv, 'bonferroni': [float(min(1, v * len(pv))) for v in pv], 'bh': bh(pv)}

OUT.write_text(json.dumps({
    'generator': 'tools/goldens/drift_golden.py', 'scipy': __import__('scipy').__version__, 'numpy': np.__version__,
    'ks': ks, 'kstwo': kstwo, 'smirnov': smirnov, 'chisquare': chisq, 'chi2sf': chi2sf, 'normsf': normsf,
    'wasserstein': wass, 'jensenshannon': js, 'psi': psi, 'ztest': zt, 'multipleTesting': mt,
}, separators=(',', ':')))
print('wrote', OUT, OUT.stat().st_size, 'bytes')
