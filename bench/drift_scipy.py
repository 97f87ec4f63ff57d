#!/usr/bin/env python3
"""scipy anchor for bench/drift.bench.ts: writes the benchmark data, then times the same drift
computation with numpy/scipy (Evidently's defaults for reference > 1000 rows: normed Wasserstein
for numeric, Jensen-Shannon on category shares for categorical).

Usage: python3 bench/drift_scipy.py OUT_DIR ROWS RUNS
Writes OUT_DIR/col<i>.ref / .cur (float64 or int32 little-endian), OUT_DIR/meta.json, OUT_DIR/scipy.json.
"""
import json
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

out, rows, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7)
cols = []
for i in range(10):
    ref = rng.normal(0, 1 + i / 10, rows)
    cur = rng.normal(0.02 * i, 1 + i / 10, rows)
    if i == 9:  # a column with heavy ties
        ref, cur = np.round(ref * 3), np.round(cur * 3)
    cols.append(('numeric', ref, cur))
for k in (3, 8, 20, 60):
    p = rng.dirichlet(np.ones(k))
    q = 0.9 * p + 0.1 * rng.dirichlet(np.ones(k))
    cols.append(('categorical', rng.choice(k, rows, p=p).astype(np.int32), rng.choice(k, rows, p=q).astype(np.int32)))

meta = []
for i, (kind, ref, cur) in enumerate(cols):
    ref.tofile(f'{out}/col{i}.ref')
    cur.tofile(f'{out}/col{i}.cur')
    meta.append({'name': f'col{i}', 'kind': kind})


def shares(counts, total):
    pct = counts / total
    nz = pct[pct != 0]
    fill = nz.min() / 1e6 if nz.min() <= 0.0001 else 0.0001
    pct[pct == 0] = fill
    return pct


def drift_all():
    res = []
    for kind, ref, cur in cols:
        if kind == 'numeric':
            res.append(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
        else:
            k = int(max(ref.max(), cur.max())) + 1
            rc, cc = np.bincount(ref, minlength=k), np.bincount(cur, minlength=k)
            keep = (rc + cc) > 0
            res.append(jensenshannon(shares(rc[keep], len(ref)), shares(cc[keep], len(cur))))
    return [float(v) for v in res]


times = []
for _ in range(runs):
    t0 = time.perf_counter()
    values = drift_all()
    times.append(time.perf_counter() - t0)
t0 = time.perf_counter()
ks = stats.ks_2samp(cols[0][1], cols[0][2])
ks_time = time.perf_counter() - t0
json.dump({'meta': meta, 'values': values, 'seconds': times,
           'ks': {'statistic': float(ks.statistic), 'pvalue': float(ks.pvalue), 'seconds': ks_time}},
          open(f'{out}/scipy.json', 'w'))
