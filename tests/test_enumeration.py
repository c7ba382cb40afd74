"""Exact enumeration against independent oracles: OEIS sequences, a naive brute force written here, the
plain-Python twins of the Numba kernels, and the set's own symmetries."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import Domain, Problem, from_spec
from capacity._kernels import KERNELS, TWINS
from capacity.codes import Code
from capacity.enumeration import count, enumerate_functions, muroga_bound, point_permutations
from capacity.errors import CapacityError
from capacity.features import FeatureSet
from capacity.solvers import enumerate as enum_solver

# OEIS A000609: threshold functions of n or fewer variables; A002078: positive threshold functions.
A000609 = [2, 4, 14, 104, 1882, 94572, 15028134, 8378070864]
A002078 = [2, 3, 6, 20, 150, 3287, 244158]


@pytest.mark.parametrize("k", range(1, 7))
@pytest.mark.parametrize("act", ["step", "relu"])
def test_one_unit_real_weights_is_A000609(k, act):
    assert count(Domain(k), 1, act, None).count == A000609[k]


@pytest.mark.slow
def test_one_unit_real_weights_k7_is_A000609():
    assert count(Domain(7), 1, "step", None).count == A000609[7]


@pytest.mark.parametrize("k", range(1, 6))
def test_one_unit_nonnegative_real_is_A002078(k):
    assert count(Domain(k), 1, "relu", None, nonnegative=True).count == A002078[k]


def test_muroga_bound_values_and_known_max_weights():
    # floor((m+1)^((m+1)/2) / 2^m), computed here with exact rationals and sympy-free arithmetic
    from fractions import Fraction
    from math import isqrt

    for m in range(0, 10):
        v = Fraction((m + 1) ** (m + 1), 4**m)
        assert muroga_bound(m) == isqrt(v.numerator // v.denominator)
    # published maximal weights needed by threshold functions of m variables (Muroga et al.): 1,1,2,3,5,9,18
    # for m = 1..7 -- our bound must never be below them
    for m, need in zip(range(1, 8), [1, 1, 2, 3, 5, 9, 18]):
        assert muroga_bound(m) >= need
    # the count is saturated: a larger box adds nothing (a consistency check, not the proof)
    for m in (3, 4):
        from capacity.enumeration import _one_unit  # count() itself cuts a larger box down to K(m)

        assert _one_unit(Domain(m), muroga_bound(m) + 2, False, False, KERNELS, 1, False)[0] == A000609[m]


# ---------------------------------------------------------------------------------------------
# a naive brute force (vectorised over points only): every weight vector, every bias in a range that
# provably covers all behaviours, every readout, every readout bias cut.


def _naive(domain, n, act, K, nonneg=False, S_in=None, S_out=None):
    X = domain.points.astype(np.int64)
    m = domain.m
    rng = range(0 if nonneg else -K, K + 1)

    def allowed(S):
        return [[v for v in rng if (S is None or s == 0 and v == 0 or s > 0 and v > 0 or s < 0 and v < 0)]
                for s in (S if S is not None else [None] * len(S if S is not None else []))]

    units = []
    for j in range(n):
        choices = [list(rng)] * m if S_in is None else [[v for v in rng if np.sign(v) == S_in[j][i]] for i in range(m)]
        beh = set()
        for w in itertools.product(*choices):
            s = X @ np.array(w, dtype=np.int64)
            big = sum(abs(v) for v in w) + 1
            for b in range(-big, big + 1):
                z = s + b
                beh.add(tuple(np.maximum(z, 0)) if act == "relu" else tuple((z >= 0).astype(int)))
        units.append(sorted(beh))
    outs = [list(rng)] * n if S_out is None else [[v for v in rng if np.sign(v) == S_out[j]] for j in range(n)]
    fns = set()
    for hs in itertools.product(*units):
        H = np.array(hs, dtype=np.int64).T  # (N, n)
        for v in itertools.product(*outs):
            y = H @ np.array(v, dtype=np.int64)
            for c in sorted(set((-y).tolist())) + [-(y.max()) - 1]:
                fns.add(tuple((y + c >= 0).tolist()))
    return {domain.pack(np.array(f, bool))[0].tobytes() if domain.words == 1 else domain.pack(np.array(f, bool)).tobytes() for f in fns}


def _as_set(tables):
    return {row.tobytes() for row in tables}


CASES = [
    (Domain(2), 2, "step", 1), (Domain(2), 2, "relu", 1), (Domain(3), 1, "relu", 2), (Domain(3), 2, "step", 1),
    (Domain(3, 1), 2, "relu", 1), (Domain(4, 1), 2, "step", 1), (Domain(2), 3, "step", 1), (Domain(2), 2, "relu", 2),
]


@pytest.mark.parametrize("domain,n,act,K", CASES)
def test_enumeration_equals_naive_brute_force(domain, n, act, K):
    got = enumerate_functions(domain, n, act, K)
    assert _as_set(got.tables) == _naive(domain, n, act, K)
    assert got.count == len(got.tables)


def test_enumeration_with_codes_equals_naive():
    d = Domain(3)
    S_in = np.array([[1, 0, -1], [0, 1, 1]])
    S_out = np.array([[1, -1]])
    for act in ("step", "relu"):
        got = enumerate_functions(d, 2, act, 1, code=Code(S_in, S_out=S_out))
        assert _as_set(got.tables) == _naive(d, 2, act, 1, S_in=S_in, S_out=S_out[0])
    got = enumerate_functions(d, 2, "relu", 2, nonnegative=True)
    assert _as_set(got.tables) == _naive(d, 2, "relu", 2, nonneg=True)


def test_set_is_closed_under_input_symmetries():
    d = Domain(3)
    tables = enumerate_functions(d, 2, "relu", 1).tables
    perms = point_permutations(d, negations=True)
    s = _as_set(tables)
    bits = d.unpack(tables)
    for g in perms[:: max(1, len(perms) // 7)]:
        assert _as_set(d.pack(bits[:, g])) == s


# ---------------------------------------------------------------------------------------------
# kernel == twin


@settings(max_examples=25)
@given(m=st.integers(1, 4), s=st.integers(0, 4), K=st.integers(1, 3), half=st.booleans(), neg=st.booleans())
def test_scan_sorted_kernel_equals_twin(m, s, K, half, neg):
    d = Domain(m, min(s, m))
    X = d.points.astype(np.int64)
    lo = -K if neg else 0
    pre = np.arange(K, lo - 1, -1, dtype=np.int64).reshape(-1, 1)
    with np.errstate(over="ignore"):
        a = KERNELS["scan_sorted"](X, lo, K, pre, d.words, half)
        b = TWINS["scan_sorted"](X, lo, K, pre, d.words, half)
    assert _as_set(a) == _as_set(b) and len(a) == len(b)


@settings(max_examples=25)
@given(m=st.integers(1, 3), K=st.integers(1, 2), relu=st.booleans(), seed=st.integers(0, 1000))
def test_unit_box_kernel_equals_twin(m, K, relu, seed):
    rng = np.random.default_rng(seed)
    d = Domain(m)
    X = d.points.astype(np.int64)
    lo = rng.integers(-K, 1, size=m)
    hi = np.maximum(lo, rng.integers(0, K + 1, size=m))
    tlo, thi = sorted(rng.integers(-4, 5, size=2).tolist())
    with np.errstate(over="ignore"):
        a = KERNELS["unit_box"](X, lo, hi, tlo, thi, relu, d.words)
        b = TWINS["unit_box"](X, lo, hi, tlo, thi, relu, d.words)
    for x, y in zip(a, b):
        assert np.array_equal(x, y)


@settings(max_examples=12)
@given(m=st.integers(1, 3), n=st.integers(1, 2), act=st.sampled_from(["step", "relu"]), K=st.integers(1, 2),
       nonneg=st.booleans())
def test_enumeration_numba_equals_python_backend(m, n, act, K, nonneg):
    if n == 2 and m == 3:  # keep the plain-Python side of the comparison quick
        K = 1
    d = Domain(m)
    a = enumerate_functions(d, n, act, K, nonnegative=nonneg)
    b = enumerate_functions(d, n, act, K, nonnegative=nonneg, backend="python")
    assert np.array_equal(a.tables, b.tables) and a.count == b.count


@settings(max_examples=15)
@given(m=st.integers(2, 3), n=st.integers(1, 2), act=st.sampled_from(["step", "relu"]), seed=st.integers(0, 10**6))
def test_find_kernel_equals_twin(m, n, act, seed):
    rng = np.random.default_rng(seed)
    d = Domain(m)
    fs = FeatureSet.from_bits(d, rng.random((2, d.size)) < 0.5)
    p = Problem(fs, n, act, 1)
    a = enum_solver.solve(p)
    b = enum_solver.solve(p, backend="python")
    assert a.status == b.status
    if a.witness is not None:
        assert a.witness.to_dict() == b.witness.to_dict()


def test_orbit_kernels_equal_twins():
    d = Domain(4)
    from capacity.enumeration import _transpositions
    from math import factorial

    X = d.points.astype(np.int64)
    canon = KERNELS["scan_sorted"](X, 0, 3, np.arange(3, -1, -1).reshape(-1, 1), 1, False)
    sw, fl = _transpositions(d)
    fact = np.array([factorial(i) for i in range(5)], dtype=np.int64)
    with np.errstate(over="ignore"):
        assert np.array_equal(KERNELS["orbit_sizes"](canon, sw, fl, True, fact),
                              TWINS["orbit_sizes"](canon, sw, fl, True, fact))
        perms = point_permutations(d, True)
        assert _as_set(KERNELS["expand_orbits"](canon, perms)) == _as_set(TWINS["expand_orbits"](canon, perms))


def test_popcount_kernel_equals_twin_and_numpy():
    xs = np.random.default_rng(1).integers(0, 2**63, size=200, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    for x in xs:
        assert int(KERNELS["popcount"](x)) == int(TWINS["popcount"](x)) == int(np.bitwise_count(x))


# ---------------------------------------------------------------------------------------------
# the enumerate solver


def test_xor_needs_two_units():
    d = Domain(2)
    for act in ("step", "relu"):
        for K in (1, 2, None) if act == "step" else (1, 2):
            one = enum_solver.solve(Problem(from_spec(d, "x0 ^ x1"), 1, act, K))
            two = enum_solver.solve(Problem(from_spec(d, "x0 ^ x1"), 2, act, K))
            assert one.status.value == "NOT_REPRESENTABLE" and one.certificate.kind == "enumeration"
            assert two.status.value == "REPRESENTABLE"


@settings(max_examples=30)
@given(seed=st.integers(0, 10**6), act=st.sampled_from(["step", "relu"]))
def test_solver_agrees_with_naive_set(seed, act):
    d = Domain(2)
    naive = _naive(d, 2, act, 1)
    f = np.random.default_rng(seed).random(d.size) < 0.5
    fs = FeatureSet.from_bits(d, f[None])
    r = enum_solver.solve(Problem(fs, 2, act, 1))
    assert r.representable == (fs.tables[0].tobytes() in naive)


def test_bad_input():
    with pytest.raises(CapacityError):
        count(Domain(3), 0, "step", 1)
    with pytest.raises(CapacityError):
        count(Domain(3), 2, "relu", None)
    with pytest.raises(CapacityError):
        count(Domain(3), 1, "tanh", 1)
    with pytest.raises(CapacityError):
        count(Domain(3), 7, "step", 1)
    with pytest.raises(CapacityError):
        count(Domain(3), 2, "step", 1, code=Code(np.ones((3, 3))))
