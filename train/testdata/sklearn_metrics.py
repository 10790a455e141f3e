#!/usr/bin/python3
"""Generate sklearn_metrics.json, the scikit-learn golden file for metrics_test.go.

Regenerate (needs numpy and scikit-learn; Debian: apt-get install python3-sklearn):

    cd train/testdata && /usr/bin/python3 sklearn_metrics.py > sklearn_metrics.json

The cases are fixed random label/probability sets drawn with explicit seeds
(numpy.random.default_rng), so regenerating gives the same inputs; the
expected values come from scikit-learn and are written with repr precision.
Probabilities are rounded to float32 (and often to a coarse grid, to make
ties) before scikit-learn sees them, so that Go reads exactly the same
numbers into its []float32.

Conventions mirrored by the Go side (see train/metrics.go):
  * per-class precision/recall/F1/support use labels=range(k), zero_division
    defaulting to "warn" (i.e. 0);
  * macro and weighted averages use scikit-learn's default label set: the
    labels present in y_true or y_pred;
  * average precision is one-vs-rest per class,
    average_precision_score(y_true == c, probs[:, c]); a class absent from
    y_true has AP 0 (scikit-learn's result with its warning);
  * macro AP is the mean over the classes present in y_true (this equals
    average_precision_score(label_binarize(...), probs, average="macro")
    whenever every class is present, checked below).
"""

import json
import sys
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    matthews_corrcoef,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import label_binarize


def probs_for(rng, y_true, k, signal, grid):
    """Random class probabilities, skewed towards the true class by signal.

    grid > 0 rounds the probabilities to multiples of 1/grid to create ties.
    """
    n = len(y_true)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y_true] += signal
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    if grid > 0:
        p = np.round(p * grid) / grid
    return p.astype(np.float32)


def case(name, y_true, y_pred, probs, k):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float32)
    assert probs.shape == (len(y_true), k)
    labels = list(range(k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=None
        )
        mp, mr, mf, _ = precision_recall_fscore_support(y_true, y_pred, average="macro")
        wp, wr, wf, _ = precision_recall_fscore_support(
            y_true, y_pred, average="weighted"
        )
        bacc = balanced_accuracy_score(y_true, y_pred)
        mcc = matthews_corrcoef(y_true, y_pred)
        p64 = probs.astype(np.float64)
        ap = [
            # + 0.0 turns scikit-learn's -0.0 (absent class) into 0.0.
            float(average_precision_score((y_true == c).astype(int), p64[:, c])) + 0.0
            for c in range(k)
        ]
    present = sorted(set(y_true.tolist()))
    macro_ap = float(np.mean([ap[c] for c in present]))
    if k > 2 and len(present) == k:
        direct = average_precision_score(
            label_binarize(y_true, classes=labels), p64, average="macro"
        )
        assert abs(direct - macro_ap) < 1e-15, (name, direct, macro_ap)
    return {
        "name": name,
        "classes": k,
        "y_true": y_true.tolist(),
        "y_pred": y_pred.tolist(),
        "probs": [[float(v) for v in row] for row in probs],
        "macro_labels": sorted(set(y_true.tolist()) | set(y_pred.tolist())),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": [float(v) for v in p],
        "recall": [float(v) for v in r],
        "f1": [float(v) for v in f],
        "support": [int(v) for v in s],
        "macro_precision": float(mp),
        "macro_recall": float(mr),
        "macro_f1": float(mf),
        "weighted_precision": float(wp),
        "weighted_recall": float(wr),
        "weighted_f1": float(wf),
        "balanced_accuracy": float(bacc),
        "mcc": float(mcc),
        "average_precision": ap,
        "macro_average_precision": macro_ap,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def noisy_pred(rng, y_true, k, keep):
    """y_true with a fraction 1-keep of rows replaced by a random class."""
    y = np.array(y_true)
    flip = rng.random(len(y)) >= keep
    y[flip] = rng.integers(0, k, size=flip.sum())
    return y


def main():
    cases = []

    # Binary, probabilities on a 1/10 grid: many ties.
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=40)
    pr = probs_for(rng, y, 2, 1.0, 10)
    cases.append(case("binary_ties", y, pr.argmax(axis=1), pr, 2))

    # Binary, continuous probabilities, imbalanced (normal-heavy).
    rng = np.random.default_rng(2)
    y = (rng.random(300) < 0.1).astype(int)
    pr = probs_for(rng, y, 2, 2.0, 0)
    cases.append(case("binary_imbalanced", y, noisy_pred(rng, y, 2, 0.9), pr, 2))

    # Five classes with NSL-KDD-like imbalance, predictions = argmax.
    rng = np.random.default_rng(3)
    y = rng.choice(5, size=400, p=[0.53, 0.36, 0.09, 0.015, 0.005])
    pr = probs_for(rng, y, 5, 2.5, 20)
    cases.append(case("five_class_argmax_ties", y, pr.argmax(axis=1), pr, 5))

    # Five classes, class 4 present in y_true but never predicted.
    rng = np.random.default_rng(4)
    y = rng.integers(0, 5, size=150)
    yp = noisy_pred(rng, y, 5, 0.6)
    yp[yp == 4] = 0
    pr = probs_for(rng, y, 5, 1.0, 0)
    cases.append(case("five_class_missing_in_pred", y, yp, pr, 5))

    # Five classes, class 3 absent from y_true but predicted sometimes.
    rng = np.random.default_rng(5)
    y = rng.choice([0, 1, 2, 4], size=120)
    yp = noisy_pred(rng, y, 5, 0.7)
    yp[:3] = 3
    pr = probs_for(rng, y, 5, 1.5, 8)
    cases.append(case("five_class_absent_in_true", y, yp, pr, 5))

    # Five classes, class 2 absent from both y_true and y_pred.
    rng = np.random.default_rng(6)
    y = rng.choice([0, 1, 3, 4], size=100)
    yp = noisy_pred(rng, y, 5, 0.75)
    yp[yp == 2] = 1
    pr = probs_for(rng, y, 5, 1.0, 4)
    cases.append(case("five_class_absent_everywhere", y, yp, pr, 5))

    # Ten classes (UNSW-NB15-like), larger, continuous probabilities.
    rng = np.random.default_rng(7)
    w = np.array([40, 20, 12, 8, 6, 5, 4, 3, 1.5, 0.5])
    y = rng.choice(10, size=1000, p=w / w.sum())
    pr = probs_for(rng, y, 10, 2.0, 0)
    cases.append(case("ten_class", y, noisy_pred(rng, y, 10, 0.8), pr, 10))

    # Every row predicted as class 0: MCC's denominator is zero (MCC 0).
    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, size=30)
    pr = probs_for(rng, y, 3, 0.5, 5)
    cases.append(case("constant_prediction", y, np.zeros_like(y), pr, 3))

    # Binary with every score tied: AP equals the positive rate.
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, size=25)
    pr = np.full((25, 2), 0.5, dtype=np.float32)
    cases.append(case("binary_all_tied", y, rng.integers(0, 2, size=25), pr, 2))

    # Perfect predictions.
    rng = np.random.default_rng(10)
    y = rng.integers(0, 4, size=50)
    pr = probs_for(rng, y, 4, 6.0, 0)
    cases.append(case("perfect", y, y.copy(), pr, 4))

    out = {
        "generator": "train/testdata/sklearn_metrics.py",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "cases": cases,
    }
    # One case per line keeps the file compact and its diffs readable.
    sys.stdout.write("{\n")
    for key in ("generator", "sklearn_version", "numpy_version"):
        sys.stdout.write(" %s: %s,\n" % (json.dumps(key), json.dumps(out[key])))
    sys.stdout.write(' "cases": [\n')
    for i, c in enumerate(cases):
        sep = "," if i + 1 < len(cases) else ""
        sys.stdout.write("  %s%s\n" % (json.dumps(c, separators=(",", ":")), sep))
    sys.stdout.write(" ]\n}\n")


if __name__ == "__main__":
    main()
