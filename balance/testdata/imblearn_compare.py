"""imbalanced-learn side of cnids' balance-package equivalence check (run outside CI).

Usage: /usr/bin/python3 imblearn_compare.py DIR [--timing] [--threads N] [--skip-full-clean | --clean-only]

DIR holds x.npy (float32 rows x columns) and y.npy (int32 labels) written by the Go side
(`CNIDS_IMBLEARN_COMPARE=1 go test -run TestImblearnCompare ./balance`), and, optionally, a
sample in sample_x.npy / sample_y.npy. For each data set PREFIX ("full", "sample") it writes:

  PREFIX_smote_nn_C.npy     SMOTE's within-class neighbours of class C (kneighbors(k+1)[:, 1:])
  PREFIX_adasyn_nn_C.npy    ADASYN's neighbours of class C's rows among all rows
  PREFIX_adasyn_g_C.npy     ADASYN's per-row generation counts g_i (lines of ADASYN._fit_resample)
  PREFIX_enn_keep.npy       EditedNearestNeighbours().fit_resample(...).sample_indices_
  PREFIX_enn_all_keep.npy   the same with sampling_strategy="all"
  PREFIX_tomek_keep.npy     TomekLinks().sample_indices_ (and _all_keep for "all")
  PREFIX_counts.json        class counts after ROS, RUS, SMOTE, ADASYN, SMOTEENN, SMOTETomek
  sample_smote_x.npy/_y.npy SMOTE(random_state=0)'s output on the sample, and
  sample_smote_enn_keep.npy / sample_smote_tomek_keep.npy the hybrids' cleaning step on it

--skip-full-clean leaves out ENN and Tomek on the full data (minutes in scikit-learn); --clean-only
runs only those, adding to an earlier run's outputs. With --timing it times ROS, SMOTE and ADASYN fit_resample on the full data with N BLAS/OpenMP
threads (threadpoolctl) and writes timing.json.
"""
import json
import sys
import time

import numpy as np
from imblearn.combine import SMOTEENN, SMOTETomek
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.under_sampling import EditedNearestNeighbours, RandomUnderSampler, TomekLinks
from sklearn.neighbors import NearestNeighbors


def counts(y):
    u, c = np.unique(y, return_counts=True)
    return {int(a): int(b) for a, b in zip(u, c)}


def adasyn_plan(X, y, cls, n_samples, k=5):
    # The lines of imblearn 0.10 ADASYN._fit_resample that compute g_i.
    nn = NearestNeighbors(n_neighbors=k + 1)
    nn.fit(X)
    nns = nn.kneighbors(X[y == cls], return_distance=False)[:, 1:]
    ratio_nn = np.sum(y[nns] != cls, axis=1) / k
    ratio_nn /= np.sum(ratio_nn)
    return nns, np.rint(ratio_nn * n_samples).astype(int)


def clean(prefix, X, y, d, out):
    t = time.time()
    for name, s in [("enn", EditedNearestNeighbours()), ("enn_all", EditedNearestNeighbours(sampling_strategy="all")),
                    ("tomek", TomekLinks()), ("tomek_all", TomekLinks(sampling_strategy="all"))]:
        _, yr = s.fit_resample(X, y)
        np.save(f"{d}/{prefix}_{name}_keep.npy", np.sort(s.sample_indices_))
        out[name] = counts(yr)
    print(f"{prefix}: ENN and Tomek {time.time() - t:.1f}s", flush=True)


def run(prefix, X, y, d, full_clean=True):
    out = {}
    stats = counts(y)
    maj = max(stats, key=stats.get)
    n_maj = stats[maj]
    t = time.time()
    for c in sorted(stats):
        if c == maj:
            continue
        Xc = X[y == c]
        nn = NearestNeighbors(n_neighbors=6).fit(Xc)
        np.save(f"{d}/{prefix}_smote_nn_{c}.npy", nn.kneighbors(Xc, return_distance=False)[:, 1:])
        nns, g = adasyn_plan(X, y, c, n_maj - stats[c])
        np.save(f"{d}/{prefix}_adasyn_nn_{c}.npy", nns)
        np.save(f"{d}/{prefix}_adasyn_g_{c}.npy", g)
    print(f"{prefix}: neighbours and ADASYN plans {time.time() - t:.1f}s", flush=True)
    out["ros"] = counts(RandomOverSampler(random_state=0).fit_resample(X, y)[1])
    out["rus"] = counts(RandomUnderSampler(random_state=0).fit_resample(X, y)[1])
    t = time.time()
    out["smote"] = counts(SMOTE(random_state=0).fit_resample(X, y)[1])
    out["adasyn"] = counts(ADASYN(random_state=0).fit_resample(X, y)[1])
    print(f"{prefix}: SMOTE and ADASYN {time.time() - t:.1f}s", flush=True)
    if full_clean:
        clean(prefix, X, y, d, out)
    if prefix == "sample":
        Xs, ys = SMOTE(random_state=0).fit_resample(X, y)
        np.save(f"{d}/sample_smote_x.npy", Xs)
        np.save(f"{d}/sample_smote_y.npy", ys.astype(np.int32))
        enn = EditedNearestNeighbours(sampling_strategy="all")
        _, ye = enn.fit_resample(Xs, ys)
        np.save(f"{d}/sample_smote_enn_keep.npy", np.sort(enn.sample_indices_))
        tl = TomekLinks(sampling_strategy="all")
        _, yt = tl.fit_resample(Xs, ys)
        np.save(f"{d}/sample_smote_tomek_keep.npy", np.sort(tl.sample_indices_))
        # The hybrids are SMOTE(random_state) followed by these steps: check it.
        out["smoteenn"] = counts(SMOTEENN(random_state=0).fit_resample(X, y)[1])
        out["smotetomek"] = counts(SMOTETomek(random_state=0).fit_resample(X, y)[1])
        assert out["smoteenn"] == counts(ye), (out["smoteenn"], counts(ye))
        assert out["smotetomek"] == counts(yt), (out["smotetomek"], counts(yt))
    with open(f"{d}/{prefix}_counts.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


def timing(X, y, d, threads):
    from threadpoolctl import threadpool_limits
    res = {"threads": threads, "rows": int(X.shape[0]), "cols": int(X.shape[1])}
    with threadpool_limits(limits=threads):
        for name, s in [("ros", RandomOverSampler(random_state=0)), ("smote", SMOTE(random_state=0)),
                        ("adasyn", ADASYN(random_state=0))]:
            t = time.time()
            _, yr = s.fit_resample(X, y)
            res[name] = {"seconds": time.time() - t, "counts": counts(yr)}
            print(f"timing {name}: {res[name]['seconds']:.2f}s {res[name]['counts']}", flush=True)
    with open(f"{d}/timing.json", "w") as f:
        json.dump(res, f, indent=1)


def main():
    args = sys.argv[1:]
    d = args[0]
    threads = 2
    if "--threads" in args:
        threads = int(args[args.index("--threads") + 1])
    X, y = np.load(f"{d}/x.npy"), np.load(f"{d}/y.npy")
    if "--timing" in args:
        timing(X, y, d, threads)
        return
    if "--clean-only" in args:
        # Only the cleaners on the full data (slow in scikit-learn), added
        # to an earlier run's full_counts.json.
        with open(f"{d}/full_counts.json") as f:
            out = json.load(f)
        clean("full", X, y, d, out)
        with open(f"{d}/full_counts.json", "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
        return
    try:
        Xs, ys = np.load(f"{d}/sample_x.npy"), np.load(f"{d}/sample_y.npy")
        run("sample", Xs, ys, d)
    except FileNotFoundError:
        pass
    run("full", X, y, d, full_clean="--skip-full-clean" not in args)


main()
