#!/usr/bin/env python3
"""Golden fit for packages/core/src/learners: L2 logistic regression on a small raw table.

Independent reference: builds the design matrix with numpy (population-std standardization,
missing numerics -> 0 after scaling, one-hot over sorted categories with '?' a category of its
own, unseen categories -> all zeros) and minimizes
    mean log loss + l2/2 * ||w||^2   (intercept not penalized)
with scipy.optimize.minimize(method='trust-exact'), not with the TypeScript Newton solver.

Usage: python3 tools/goldens/logreg_golden.py > packages/core/src/learners/logreg.golden.json
"""
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

L2 = 0.01


def make_rows(rng, n, unseen=False):
    rows = []
    for i in range(n):
        x1 = rng.normal(40, 12)
        x2 = rng.exponential(3.0)
        c1 = rng.choice(["alpha", "beta", "gamma", "?"], p=[0.4, 0.3, 0.2, 0.1])
        c2 = rng.choice(["east", "west"])
        if unseen and i % 7 == 0:
            c1 = "delta"
        z = -1.0 + 0.05 * (x1 - 40) + 0.3 * x2 + {"alpha": 0.5, "beta": -0.7, "gamma": 0.2, "?": 1.0, "delta": 0}[c1] + (0.4 if c2 == "east" else -0.2)
        y = ">50K" if rng.random() < expit(z - 0.9) else "<=50K"
        x2s = "?" if rng.random() < 0.08 else repr(round(x2, 4))
        rows.append([repr(round(x1, 3)), x2s, str(c1), str(c2), y])
    return rows


def design(rows, stats, cats):
    n = len(rows)
    cols = []
    for j, (mean, std) in enumerate(stats):
        v = np.array([np.nan if r[j] == "?" else float(r[j]) for r in rows])
        v = (v - mean) / std
        cols.append(np.where(np.isnan(v), 0.0, v))
    for j, categories in enumerate(cats):
        for c in categories:
            cols.append(np.array([1.0 if r[2 + j] == c else 0.0 for r in rows]))
    cols.append(np.ones(n))
    return np.column_stack(cols)


def main():
    rng = np.random.default_rng(7)
    header = ["x1", "x2", "c1", "c2", "income"]
    train = make_rows(rng, 500)
    holdout = make_rows(rng, 120, unseen=True)
    stats = []
    for j in range(2):
        v = np.array([float(r[j]) for r in train if r[j] != "?"])
        stats.append((v.mean(), v.std()))
    cats = [sorted({r[2 + j] for r in train}) for j in range(2)]
    X = design(train, stats, cats)
    y = np.array([1.0 if r[4] == ">50K" else 0.0 for r in train])
    d = X.shape[1]
    reg = np.r_[np.full(d - 1, L2), 0.0]

    def fun(t):
        z = X @ t
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(reg * t * t)

    def jac(t):
        return X.T @ (expit(X @ t) - y) / len(y) + reg * t

    def hess(t):
        p = expit(X @ t)
        return (X.T * (p * (1 - p))) @ X / len(y) + np.diag(reg)

    res = minimize(fun, np.zeros(d), jac=jac, hess=hess, method="trust-exact", options={"gtol": 1e-12})
    t = res.x
    golden = {
        "generator": "tools/goldens/logreg_golden.py",
        "l2": L2,
        "header": header,
        "train": train,
        "holdout": holdout,
        "expected": {
            "means": [s[0] for s in stats],
            "stds": [s[1] for s in stats],
            "categories": cats,
            "numericWeights": t[:2].tolist(),
            "categoricalWeights": [t[2 : 2 + len(cats[0])].tolist(), t[2 + len(cats[0]) : d - 1].tolist()],
            "intercept": float(t[-1]),
            "objective": float(res.fun),
            "holdoutProbabilities": expit(design(holdout, stats, cats) @ t).tolist(),
        },
    }
    json.dump(golden, sys.stdout, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")
    print(f"converged={res.success} grad={np.abs(jac(t)).max():.2e}", file=sys.stderr)


if __name__ == "__main__":
    main()
