#!/usr/bin/env python3
"""Golden values for packages/core/src/metrics, computed independently with numpy/scipy.

Written from the textbook definitions, not ported from the TypeScript: ROC AUC comes from the
Mann-Whitney U statistic (scipy.stats.mannwhitneyu, mid-ranks for ties), confusion matrices
from np.add.at, calibration bins from the documented floor rule, fairness from boolean
masks per group (Fairlearn's between_groups definitions).

Usage: python3 tools/goldens/metrics_golden.py > packages/core/src/metrics/metrics.golden.json
Deterministic: fixed seed, so re-running must reproduce the committed file byte for byte.
"""
import json
import sys

import numpy as np
from scipy.stats import mannwhitneyu

EPS = 1e-15  # log-loss clipping, same documented constant as the TS side
THRESHOLD = 0.5  # predicted positive when score >= threshold


def f(x):
    return float(x)


def prf(tp, fp, fn):
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return f(precision), f(recall), f(f1)


def auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    u = mannwhitneyu(pos, neg, alternative="two-sided", method="asymptotic").statistic
    return f(u / (len(pos) * len(neg)))


def ece(y, p, bins):
    # Documented edge rule: bin = min(floor(p * bins), bins - 1) in float64, so p = 1 joins the
    # last bin. (np.digitize on np.linspace edges disagrees for tied scores such as 0.3, whose
    # linspace edge is 0.30000000000000004.)
    idx = np.minimum(np.floor(p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(y[m].mean() - p[m].mean())
    return f(total)


def binary_case(rng, n, ties, extremes):
    y = (rng.random(n) < 0.35).astype(int)
    s = np.clip(rng.beta(2, 3, n) + 0.25 * y, 0, 1)
    if ties:
        s = np.round(s, 1)
    if extremes:
        s[:6] = [0.0, 1.0, 0.0, 1.0, 1e-18, 1 - 1e-17]
    pred = (s >= THRESHOLD).astype(int)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    precision, recall, f1 = prf(tp, fp, fn)
    pc = np.clip(s, EPS, 1 - EPS)
    return {
        "yTrue": y.tolist(),
        "probs": s.tolist(),
        "expected": {
            "confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn},
            "accuracy": f(np.mean(pred == y)),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "rocAuc": auc(y, s),
            "logLoss": f(-np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))),
            "ece10": ece(y, s, 10),
            "ece15": ece(y, s, 15),
        },
    }


def multiclass_case(rng, n, k):
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y, pred), 1)
    per = [prf(cm[c, c], cm[:, c].sum() - cm[c, c], cm[c, :].sum() - cm[c, c]) for c in range(k)]
    tp = np.trace(cm)
    micro = prf(tp, cm.sum() - tp, cm.sum() - tp)
    pc = np.clip(probs[np.arange(n), y], EPS, 1 - EPS)
    aucs = [auc((y == c).astype(int), probs[:, c]) for c in range(k)]
    return {
        "classes": k,
        "yTrue": y.tolist(),
        "probs": probs.ravel().tolist(),
        "expected": {
            "confusion": cm.tolist(),
            "accuracy": f(np.mean(pred == y)),
            "macro": {key: f(np.mean([p[i] for p in per])) for i, key in enumerate(["precision", "recall", "f1"])},
            "micro": dict(zip(["precision", "recall", "f1"], micro)),
            "logLoss": f(-np.mean(np.log(pc))),
            "rocAucPerClass": aucs,
            "rocAucMacro": f(np.mean(aucs)),
        },
    }


def regression_case(rng, n):
    y = rng.normal(10, 3, n)
    p = y + rng.normal(0, 1.5, n)
    e = y - p
    return {
        "yTrue": y.tolist(),
        "yPred": p.tolist(),
        "expected": {
            "mae": f(np.mean(np.abs(e))),
            "rmse": f(np.sqrt(np.mean(e**2))),
            "r2": f(1 - np.sum(e**2) / np.sum((y - y.mean()) ** 2)),
        },
    }


def fairness_case(rng, n, names, weights):
    g = rng.choice(len(names), size=n, p=weights)
    y = (rng.random(n) < 0.3 + 0.1 * g / len(names)).astype(int)
    s = np.clip(rng.beta(2, 3, n) + 0.2 * y + 0.05 * g, 0, 1)
    pred = s >= THRESHOLD
    groups = []
    for i, name in enumerate(names):
        m = g == i
        groups.append({
            "group": name,
            "count": int(m.sum()),
            "selectionRate": f(pred[m].mean()),
            "truePositiveRate": f(pred[m & (y == 1)].mean()),
            "falsePositiveRate": f(pred[m & (y == 0)].mean()),
            "accuracy": f((pred[m] == (y[m] == 1)).mean()),
        })
    sel = np.array([r["selectionRate"] for r in groups])
    tpr = np.array([r["truePositiveRate"] for r in groups])
    fpr = np.array([r["falsePositiveRate"] for r in groups])
    return {
        "yTrue": y.tolist(),
        "probs": s.tolist(),
        "sensitive": [names[i] for i in g],
        "expected": {
            # Groups sorted by name, as the TS report lists them.
            "groups": sorted(groups, key=lambda r: r["group"]),
            "demographicParityDifference": f(sel.max() - sel.min()),
            "demographicParityRatio": f(sel.min() / sel.max()),
            "equalizedOddsDifference": f(max(tpr.max() - tpr.min(), fpr.max() - fpr.min())),
            "equalizedOddsRatio": f(min(tpr.min() / tpr.max(), fpr.min() / fpr.max())),
            "equalOpportunityDifference": f(tpr.max() - tpr.min()),
        },
    }


def main():
    rng = np.random.default_rng(20240611)
    golden = {
        "generator": "tools/goldens/metrics_golden.py",
        "numpy": np.__version__,
        "binary": [binary_case(rng, 1000, False, False), binary_case(rng, 400, True, False), binary_case(rng, 300, False, True)],
        "multiclass": [multiclass_case(rng, 600, 4), multiclass_case(rng, 200, 3)],
        "regression": [regression_case(rng, 500)],
        "fairness": [
            fairness_case(rng, 2000, ["Female", "Male"], [0.35, 0.65]),
            fairness_case(rng, 1500, ["Amer-Indian", "Asian", "Black", "Other", "White"], [0.1, 0.15, 0.2, 0.1, 0.45]),
        ],
    }
    json.dump(golden, sys.stdout, indent=None, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
