"""Boolean tasks: sizes, seeds, sampling law, refused parameters, and the vision task against a direct
sliding-window computation written here independently of ``capacity.tasks``."""

import re
from itertools import combinations, product
from math import comb

import numpy as np
import pytest

from capacity.errors import CapacityError
from capacity.tasks import (
    EXHAUSTIVE_LIMIT,
    Task,
    cnf_task,
    dnf_task,
    kand_task,
    task_from_args,
    vision1d_task,
)


def sparse_points(m, s):
    """All 0/1 vectors of length m with at most s ones (independent of capacity.domain)."""
    s = m if s is None else s
    return {tuple(int(i in c) for i in range(m)) for t in range(s + 1) for c in combinations(range(m), t)}


def and_vars(name):
    return [int(v) for v in re.findall(r"x(\d+)", name)]


# ---------------------------------------------------------------------------------------------
# k-ANDs


@pytest.mark.parametrize("m,n,k,s", [(6, 5, 2, 2), (7, 4, 3, 3), (5, 10, 2, None), (8, 3, 2, 4)])
def test_kand_sizes_and_values(m, n, k, s):
    task = kand_task(m, n, k=k, sparsity=s, seed=3)
    X, Y = task.data()
    size = sum(comb(m, t) for t in range((m if s is None else s) + 1))
    assert X.shape == (size, m) and Y.shape == (size, n)
    assert {tuple(r) for r in X.tolist()} == sparse_points(m, s)  # every point exactly once
    sets = [tuple(and_vars(name)) for name in task.features.names]
    assert len(set(sets)) == n and all(len(c) == k and len(set(c)) == k for c in sets)
    for f, c in enumerate(sets):  # the target is the AND of its named inputs
        assert np.array_equal(Y[:, f], X[:, list(c)].all(axis=1))
        # closed form: a k-AND is 1 on sum_{t=k}^{s} C(m-k, t-k) points
        top = m if s is None else s
        assert Y[:, f].sum() == sum(comb(m - k, t - k) for t in range(k, top + 1))


def test_kand_all_pairs_when_features_not_given():
    task = kand_task(5, None, k=2)
    assert len(task.features) == comb(5, 2)
    assert [tuple(and_vars(n)) for n in task.features.names] == list(combinations(range(5), 2))


def test_seeds_reproduce_and_differ():
    a, b, c = kand_task(10, 6, seed=1), kand_task(10, 6, seed=1), kand_task(10, 6, seed=2)
    assert a.features.names == b.features.names and np.array_equal(a.features.tables, b.features.tables)
    assert a.key == b.key
    assert a.features.names != c.features.names and a.key != c.key
    d1, d2 = dnf_task(6, 3, 2, 2, seed=5), dnf_task(6, 3, 2, 2, seed=5)
    assert d1.features.names == d2.features.names


# ---------------------------------------------------------------------------------------------
# DNF / CNF: check the tables against an evaluation of the clause structure written here


def _eval_formula(name, X):
    # name is "(a & ~b) | (c & d)" (DNF) or "(a | ~b) & (c | d)" (CNF): evaluate by Python's own operators
    expr = re.sub(r"~x(\d+)", r"(1 - X[:, \1])", name)
    expr = re.sub(r"(?<![\[\w])x(\d+)", r"X[:, \1]", expr)
    return eval(expr, {"X": X.astype(np.int64)}) & 1  # test-only: our own formula strings


@pytest.mark.parametrize("build", [dnf_task, cnf_task])
def test_dnf_cnf_values(build):
    task = build(6, 4, 3, 2, negations=0.5, sparsity=None, seed=11)
    X, Y = task.data()
    assert X.shape == (64, 6) and Y.shape == (64, 4)
    for f, name in enumerate(task.features.names):
        assert np.array_equal(Y[:, f], _eval_formula(name, X)), name
    op_inner = "&" if build is dnf_task else "|"
    assert all(op_inner in n for n in task.features.names)


# ---------------------------------------------------------------------------------------------
# data sampling


def test_sampled_data_when_domain_is_large():
    task = kand_task(13, 4, seed=0)  # 8192 points > EXHAUSTIVE_LIMIT
    assert task.domain.size > EXHAUSTIVE_LIMIT
    X, Y = task.data(seed=4)
    assert X.shape == (EXHAUSTIVE_LIMIT, 13)
    X2, _ = task.data(seed=4)
    X3, _ = task.data(seed=5)
    assert np.array_equal(X, X2) and not np.array_equal(X, X3)
    for f, name in enumerate(task.features.names):
        assert np.array_equal(Y[:, f], X[:, and_vars(name)].all(axis=1))


def test_sampling_is_uniform_over_sparse_points():
    m, s, n = 16, 3, 40000
    task = kand_task(m, 2, sparsity=s, seed=0)
    X, _ = task.data(n_samples=n, seed=7)
    assert X.shape == (n, m) and (X.sum(axis=1) <= s).all()
    size = sum(comb(m, t) for t in range(s + 1))
    ones = X.sum(axis=1)
    for t in range(s + 1):  # the number of ones follows C(m, t) / |D|
        p = comb(m, t) / size
        assert abs((ones == t).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    rows3 = X[ones == 3]  # and given t, the subset is uniform: each input is on with probability t/m
    assert np.abs(rows3.mean(axis=0) - 3 / m).max() < 5 * np.sqrt((3 / m) * (1 - 3 / m) / len(rows3))


# ---------------------------------------------------------------------------------------------
# vision1d against a direct sliding window


def sliding_window(x, pattern, exact):
    L, w = len(x), len(pattern)
    for p in range(L - w + 1):
        if exact and all(x[p + j] == pattern[j] for j in range(w)):
            return 1
        if not exact and all(x[p + j] == 1 for j in range(w) if pattern[j] == 1):
            return 1
    return 0


@pytest.mark.parametrize("L,w,n,exact,s", [(7, 3, 5, True, None), (8, 2, 3, False, None), (6, 6, 4, True, None),
                                           (9, 3, 4, True, 3), (8, 4, 6, False, 2), (5, 1, 1, True, None)])
def test_vision1d_matches_sliding_window(L, w, n, exact, s):
    task = vision1d_task(L, w, n, exact=exact, sparsity=s, seed=2)
    X, Y = task.data()
    assert Y.shape == (task.domain.size, n)
    pats = task.params["patterns"]
    assert len(set(pats)) == n and all(len(p) == w and "1" in p for p in pats)
    if s is not None:
        assert all(p.count("1") <= s for p in pats)
    for f, p in enumerate(pats):
        pattern = [int(c) for c in p]
        expected = [sliding_window(x, pattern, exact) for x in X.tolist()]
        assert Y[:, f].tolist() == expected, p


def test_vision1d_hand_example():
    # L=3, w=2, exact: pattern "10" (pixel0=1, pixel1=0) occurs in 100, 010? windows of 010 are 01 and 10 -> yes
    task = vision1d_task(3, 2, 3, exact=True, seed=0)  # all three non-blank patterns of 2 pixels
    f = task.params["patterns"].index("10")
    table = dict(zip(map(tuple, task.domain.points.tolist()), task.features.bits[f].tolist()))
    assert table[(1, 0, 0)] and table[(0, 1, 0)] and table[(1, 1, 0)] and table[(1, 0, 1)]
    assert not table[(0, 0, 0)] and not table[(0, 0, 1)] and not table[(0, 1, 1)] and not table[(1, 1, 1)]


def test_vision1d_covers_all_patterns_without_repeats():
    task = vision1d_task(4, 3, 7, seed=9)
    assert sorted(task.params["patterns"]) == sorted("".join(b) for b in product("01", repeat=3) if "1" in b)


# ---------------------------------------------------------------------------------------------
# refused parameters and the CLI front door


@pytest.mark.parametrize("make", [
    lambda: kand_task(4, 7, k=2),             # only C(4,2) = 6 pairs
    lambda: kand_task(3, 1, k=4),             # k > m
    lambda: kand_task(5, 2, k=3, sparsity=2),  # k-AND always 0
    lambda: kand_task(4, 2, sparsity=5),       # sparsity > m
    lambda: kand_task(0, 1),
    lambda: kand_task(4, 0),
    lambda: dnf_task(4, 2, 2, 5),              # clause wider than the inputs
    lambda: dnf_task(4, 2, 0, 2),
    lambda: cnf_task(4, 2, 2, 2, negations=1.5),
    lambda: vision1d_task(4, 5, 1),            # window longer than the strip
    lambda: vision1d_task(6, 2, 4),            # only 3 non-blank 2-pixel patterns
    lambda: vision1d_task(6, 3, 4, sparsity=1),  # only 3 patterns with at most one 1
    lambda: task_from_args("maze", inputs=4),
    lambda: task_from_args("kand", inputs=4, window=2),
    lambda: task_from_args("vision1d", length=5),
    lambda: task_from_args("dnf"),
    lambda: kand_task(4, 2.5),
])
def test_impossible_parameters_raise_one_line(make):
    with pytest.raises(CapacityError) as info:
        make()
    assert str(info.value) and "\n" not in str(info.value)


def test_task_from_args_defaults():
    t = task_from_args("kand", inputs=4, sparsity=None, features=None, seed=None)
    assert t.name == "kand" and len(t.features) == 6 and t.params["k"] == 2
    d = task_from_args("dnf", inputs=5, seed=3)
    assert isinstance(d, Task) and len(d.features) == 4 and d.seed == 3 and d.params["clauses"] == 2
    v = task_from_args("vision1d", length=6, window=2, features=2, exact=False)
    assert v.params["exact"] is False and all(n.startswith("ink=") for n in v.features.names)
    assert set(d.to_dict()) >= {"name", "domain", "params", "seed", "features"}
