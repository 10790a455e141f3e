"""Golden files for package features' encoder and mutual-information tests, from scikit-learn itself.

Regenerate (Debian 12: apt-get install python3-sklearn; numpy 1.24, scikit-learn 1.2.1), from the repository root,
with the shared data beside it (../shared, or CNIDS_SHARED=/path/to/shared):

    /usr/bin/python3 features/testdata/mi_reference.py

It writes, next to itself:
  mi_small.json   small fixed datasets (continuous columns with and without ties, a constant column, discrete columns,
                  a class with a single member), with sklearn.feature_selection.mutual_info_classif scores for ten
                  random_state values (the estimator adds random noise to continuous columns), and which columns are
                  tie-free (there the noise cannot change any neighbour, so Go must agree to rounding error).
  mi_kdd.json     a fixed 5,000-row sample of KDDTrain+ encoded exactly as the Go Encoder does with its default config
                  (torch-reference.py's layout: 38 numeric columns min-max scaled on all of KDDTrain+, then the sorted
                  one-hot blocks of protocol_type, service, flag; float64 arithmetic rounded once to float32): the row
                  numbers, the column names, the sha256 of the float32 matrix (row-major, little-endian), the discrete
                  mask (one-hot and binary columns), mutual_info_classif scores for ten random_state values, and
                  SelectPercentile masks for several percentiles given the first seed's scores.
  select.json     SelectPercentile masks for hand-made score vectors (ties at the threshold, NaN, short vectors).
  torch_ref.json  rows encoded by torch-reference.py's own encode() (its source is read from shared/tools and run
                  here without torch): the first training rows, and hand-made test rows with an unseen service and
                  values beyond the training range (clipped to [0, 1]).
"""
import ast, gzip, hashlib, json, os, sys

import numpy as np
import sklearn
from sklearn.feature_selection import SelectPercentile, mutual_info_classif

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get('CNIDS_SHARED', os.path.join(HERE, '..', '..', '..', 'shared'))
KDD = os.path.join(SHARED, 'datasets', 'nsl-kdd', 'KDDTrain+.txt.gz')
TORCH_REF = os.path.join(SHARED, 'tools', 'torch-reference.py')
SEEDS = list(range(10))
BINARY = {6, 11, 20, 21}  # land, logged_in, is_host_login, is_guest_login (0-based field numbers)
NAMES = ('duration protocol_type service flag src_bytes dst_bytes land wrong_fragment urgent hot num_failed_logins '
         'logged_in num_compromised root_shell su_attempted num_root num_file_creations num_shells num_access_files '
         'num_outbound_cmds is_host_login is_guest_login count srv_count serror_rate srv_serror_rate rerror_rate '
         'srv_rerror_rate same_srv_rate diff_srv_rate srv_diff_host_rate dst_host_count dst_host_srv_count '
         'dst_host_same_srv_rate dst_host_diff_srv_rate dst_host_same_src_port_rate dst_host_srv_diff_host_rate '
         'dst_host_serror_rate dst_host_srv_serror_rate dst_host_rerror_rate dst_host_srv_rerror_rate').split()


def write(name, obj):
    with open(os.path.join(HERE, name), 'w') as f:
        json.dump(obj, f, allow_nan=False, separators=(',', ':'))
        f.write('\n')
    print('wrote', name)


def mi_all_seeds(X, y, discrete, k=3):
    return [mutual_info_classif(X, y, discrete_features=discrete, n_neighbors=k, random_state=s).tolist() for s in SEEDS]


def small_sets():
    rs = np.random.RandomState(20240611)
    sets = []

    # mixed: 3 classes of 100, 90, 110 rows.
    y = np.repeat([0, 1, 2], [100, 90, 110]); rs.shuffle(y); n = len(y)
    cols = [
        rs.normal(size=n) + 0.8 * y,                          # 0 continuous, tie-free, informative
        rs.uniform(size=n),                                   # 1 continuous, tie-free, independent
        rs.poisson(2 + 2 * y).astype(float),                  # 2 continuous, many ties
        np.full(n, 5.0),                                      # 3 continuous, constant
        (y + rs.randint(0, 2, n)).astype(float),              # 4 discrete, informative
        rs.randint(0, 4, n).astype(float),                    # 5 discrete, independent
        np.full(n, 1.0),                                      # 6 discrete, constant
        np.where(rs.uniform(size=n) < 0.8, 0.0, rs.exponential(size=n) * (1 + y)),  # 7 continuous, 80% zeros
        rs.normal(size=n) * 1e6 + 3e6 * (y == 2),             # 8 continuous, tie-free, large scale
    ]
    X = np.column_stack(cols)
    disc = [False, False, False, False, True, True, True, False, False]
    sets.append(dict(name='mixed', X=X, y=y, discrete=disc, tie_free=[0, 1, 8], k=3))

    # singleton: classes of 40, 30 and 1 rows, k = 5.
    y = np.repeat([4, 7, 9], [40, 30, 1]); rs.shuffle(y); n = len(y)
    X = np.column_stack([rs.normal(size=n) + (y == 7), rs.normal(size=n) * 3 + 10 * (y == 9),
                         (y == 7).astype(float) + (rs.uniform(size=n) < 0.1)])
    sets.append(dict(name='singleton', X=X, y=y, discrete=[False, False, True], tie_free=[0, 1], k=5))

    # small classes (k larger than a class can give: k = min(3, count-1)) and large k.
    y = np.repeat([0, 1, 2], [2, 3, 30]); rs.shuffle(y); n = len(y)
    X = np.column_stack([rs.normal(size=n) + y, rs.normal(size=n)])
    sets.append(dict(name='small_classes', X=X, y=y, discrete=[False, False], tie_free=[], k=3))

    out = []
    for s in sets:
        X, y = s['X'], s['y']
        out.append(dict(name=s['name'], columns=[X[:, j].tolist() for j in range(X.shape[1])], y=y.tolist(),
                        discrete=s['discrete'], tie_free=s['tie_free'], n_neighbors=s['k'],
                        scores=mi_all_seeds(X, y, np.array(s['discrete']), s['k'])))
    return out


def load_kdd():
    with gzip.open(KDD, 'rt') as f:
        return [l.rstrip('\n').split(',') for l in f]


def encode_like_go(rows):
    """The Go Encoder's default encoding: min-max in float64, rounded once to float32."""
    num_idx = [i for i in range(41) if i not in (1, 2, 3)]
    vocab = [sorted({r[i] for r in rows}) for i in (1, 2, 3)]
    num = np.array([[float(r[i]) for i in num_idx] for r in rows])
    lo, hi = num.min(0), num.max(0)
    scaled = np.where(hi > lo, (num - lo) / np.where(hi > lo, hi - lo, 1), 0.0)
    oh = []
    for j, i in enumerate((1, 2, 3)):
        pos = {v: k for k, v in enumerate(vocab[j])}
        block = np.zeros((len(rows), len(vocab[j])))
        block[np.arange(len(rows)), [pos[r[i]] for r in rows]] = 1
        oh.append(block)
    X = np.hstack([scaled] + oh).astype(np.float32)
    names = [NAMES[i] for i in num_idx]
    for j, i in enumerate((1, 2, 3)):
        names += [NAMES[i] + '=' + v for v in vocab[j]]
    discrete = [i in BINARY for i in num_idx] + [True] * sum(len(v) for v in vocab)
    return X, names, np.array(discrete)


def kdd_sample(rows):
    cat = torch_ref_namespace()['CAT']
    classes = torch_ref_namespace()['CLASSES']
    X, names, discrete = encode_like_go(rows)
    y = np.array([classes.index(cat[r[41]]) for r in rows])
    idx = np.sort(np.random.RandomState(5000).choice(len(rows), 5000, replace=False))
    Xs = X[idx].astype('<f4')
    sha = hashlib.sha256(Xs.tobytes()).hexdigest()
    Xd = Xs.astype(np.float64)
    scores = mi_all_seeds(Xd, y[idx], discrete)
    masks = {}
    percentiles = [1, 5, 10, 12.5, 25, 100 / 3, 50, 66.7, 75, 90, 99, 100]
    for p in percentiles:
        sp = SelectPercentile(lambda X, y: np.array(scores[0]), percentile=p).fit(Xd[:, :], y[idx])
        masks[repr(p)] = sp.get_support().tolist()
    return dict(rows=(idx + 1).tolist(), names=names, sha256=sha, discrete=discrete.tolist(), scores=scores,
                percentiles=percentiles, masks=[masks[repr(p)] for p in percentiles])


def select_cases():
    vecs = [
        [1, 2, 2, 2, 3, float('nan'), 0, 2],
        [0.5] * 10,
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3],
        [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5],
        [0.1, 0.2],
        [7.0],
        [float('nan'), float('nan'), 1.0, 1.0],
        [0, 0, 0, 0, 0.3, 0.3, 0.3, 0.7, 0.7, 1.1, 1.1, 1.1, 1.1],
    ]
    pcts = [0.5, 1, 5, 10, 12.5, 20, 25, 30, 100 / 3, 40, 50, 60, 66.7, 70, 75, 80, 90, 95, 99, 100]
    cases = []
    for v in vecs:
        v = np.array(v, dtype=float)
        for p in pcts:
            sp = SelectPercentile(lambda X, y: v.copy(), percentile=p).fit(np.zeros((2, len(v))), [0, 1])
            cases.append(dict(scores=[None if np.isnan(s) else s for s in v.tolist()], percentile=p,
                              mask=sp.get_support().tolist()))
    return cases


_NS = None


def torch_ref_namespace():
    """Runs torch-reference.py's CAT/CLASSES definitions and encode() without importing torch."""
    global _NS
    if _NS is None:
        tree = ast.parse(open(TORCH_REF).read())
        keep = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == 'encode':
                keep.append(node)
            elif isinstance(node, (ast.Assign, ast.For)) and 'CAT' in ast.unparse(node) or \
                    isinstance(node, ast.Assign) and 'CLASSES' in ast.unparse(node):
                keep.append(node)
        mod = ast.Module(body=keep, type_ignores=[])
        _NS = {'np': np}
        exec(compile(mod, TORCH_REF, 'exec'), _NS)
    return _NS


def torch_ref(rows):
    ns = torch_ref_namespace()
    first = rows[:5]
    r = list(rows[0])
    unseen = list(r); unseen[2] = 'foo'
    flood = list(rows[2]); flood[4] = '99999999999'; flood[22] = '100000'; flood[31] = '300'
    below = list(rows[1]); below[0] = '-5'
    other = list(rows[1])  # service "other" is a real value
    test = [unseen, flood, below, other]
    Xtr, ytr, Xte, yte = ns['encode'](rows, test)
    return dict(train_rows=[1, 2, 3, 4, 5], train=Xtr[:5].astype(np.float64).tolist(), test_lines=[','.join(t) for t in test],
                test=Xte.astype(np.float64).tolist(), lo=[float(x) for x in np.array([[float(q[i]) for i in range(41) if i not in (1, 2, 3)] for q in rows]).min(0)],
                hi=[float(x) for x in np.array([[float(q[i]) for i in range(41) if i not in (1, 2, 3)] for q in rows]).max(0)])


def main():
    print('sklearn', sklearn.__version__, 'numpy', np.__version__)
    write('mi_small.json', dict(sklearn=sklearn.__version__, sets=small_sets()))
    write('select.json', dict(sklearn=sklearn.__version__, cases=select_cases()))
    rows = load_kdd()
    write('torch_ref.json', torch_ref(rows))
    write('mi_kdd.json', dict(sklearn=sklearn.__version__, **kdd_sample(rows)))


main()
