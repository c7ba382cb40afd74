"""LP method: linear readability of a fixed hidden layer, exact witnesses and exactly checked Farkas
certificates, against independent checks written here."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.codes import Code
from capacity.domain import Domain
from capacity.errors import CapacityError
from capacity.features import FeatureSet, all_functions, formulas
from capacity.network import Network
from capacity.solvers import Problem, Status, lp

# ---------------------------------------------------------------------------------------------------------
# independent checks (plain Fractions, no code from capacity.solvers)


def _hidden(net: Network, dom: Domain):
    out = []
    for x in dom.points.tolist():
        row = []
        for w, b in zip(net.W_in.tolist(), net.b_in.tolist()):
            z = sum(Fraction(wi) * xi for wi, xi in zip(w, x)) + Fraction(b)
            row.append((1 if z >= 0 else 0) if net.activation == "step" else max(z, Fraction(0)))
        out.append(row)
    return out


def _computes(net: Network, dom: Domain, labels) -> bool:
    H = _hidden(net, dom)
    v = [Fraction(t) for t in net.W_out[0].tolist()]
    c = Fraction(net.b_out[0].item())
    return all((sum(a * b for a, b in zip(v, h)) + c >= 0) == bool(l) for h, l in zip(H, labels))


def _farkas_proves(net: Network, dom: Domain, labels, data, nonnegative=False) -> bool:
    """lambda >= 0 with sum_zeros lambda (h,1) - sum_ones lambda (h,1) = mu (mu = 0, or >= 0 for non-negative
    readouts) and sum_zeros lambda > 0: then v.(that) + c*0 = v.mu >= 0 contradicts the margins."""
    H = _hidden(net, dom)
    lam = [Fraction(t) for t in data["lambda"]]
    if any(t < 0 for t in lam):
        return False
    n = len(H[0])
    diff = [sum((lam[x] if not labels[x] else -lam[x]) * H[x][k] for x in range(len(H))) for k in range(n)]
    bias = sum(lam[x] if not labels[x] else -lam[x] for x in range(len(H)))
    ok_cols = all(d >= 0 for d in diff) if nonnegative else all(d == 0 for d in diff)
    return ok_cols and bias == 0 and sum(lam[x] for x in range(len(H)) if not labels[x]) > 0


def _net(W, b, act):
    W = np.asarray(W)
    return Network(
        W, np.asarray(b), np.zeros((1, W.shape[0]), dtype=np.int64), np.zeros(1, dtype=np.int64), act
    )


def _backed(res, net, dom, labels, nonnegative=False):
    """Each answer carries its proof, re-checked here; UNKNOWN is a failure on these small exact inputs."""
    assert res.status is not Status.UNKNOWN, res.info
    if res.status is Status.REPRESENTABLE:
        assert _computes(res.witness, dom, labels)
        assert np.array_equal(res.witness.W_in, net.W_in) and np.array_equal(res.witness.b_in, net.b_in)
        if nonnegative:
            assert (res.witness.W_out >= 0).all()
        return True
    assert res.certificate.kind == "farkas" and res.certificate.checked
    assert _farkas_proves(net, dom, labels, res.certificate.data, nonnegative)
    return False


# ---------------------------------------------------------------------------------------------------------


def test_identity_layer_xor_and_or():
    # XOR is not linearly readable from h = x (the ones (1,0),(0,1) and the zeros (0,0),(1,1) have the same
    # mean (1/2, 1/2)); AND and OR are ([x0 + x1 >= 2], [x0 + x1 >= 1]).
    dom = Domain(2)
    fs = formulas(dom, "x0 ^ x1; x0 & x1; x0 | x1")
    net = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    res = lp.readable(net, fs)
    assert [_backed(r, net, dom, fs.bits[i]) for i, r in enumerate(res)] == [False, True, True]
    assert res[0].certificate.data["lambda"] == [Fraction(1, 2)] * 4


def test_nonnegative_readouts_are_monotone():
    dom = Domain(2)
    fs = formulas(dom, "~x0; x0 | x1")
    net = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    res = lp.readable(net, fs, nonnegative=True)
    assert [_backed(r, net, dom, fs.bits[i], True) for i, r in enumerate(res)] == [False, True]


def test_tampered_certificate_fails_the_check():
    dom = Domain(2)
    fs = formulas(dom, "x0 ^ x1")
    net = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    data = dict(lp.readable(net, fs)[0].certificate.data)
    Hx = lp.hidden_values(net, dom)
    free = (np.full(2, -np.inf), np.full(2, np.inf))
    assert lp.check_farkas(Hx, fs.bits[0], *free, data)
    bad = dict(data, **{"lambda": [Fraction(1, 2), Fraction(1, 2), Fraction(1, 2), Fraction(1, 3)]})
    assert not lp.check_farkas(Hx, fs.bits[0], *free, bad)
    neg = dict(data, **{"lambda": [Fraction(-1, 2)] * 4})
    assert not lp.check_farkas(Hx, fs.bits[0], *free, neg)
    assert not lp.check_farkas(Hx, ~fs.bits[0] | True, *free, data)  # all ones: nothing to refute


def _brute_readable(H, labels, K=2):
    """Integer readouts in [-K, K]^n; decided by max over zeros < min over ones (then c = -min over ones)."""
    H = np.asarray([[float(t) for t in row] for row in H])
    if labels.all() or not labels.any():
        return True
    for v in itertools.product(range(-K, K + 1), repeat=H.shape[1]):
        y = H @ np.asarray(v, dtype=float)
        if y[~labels].max() < y[labels].min():
            return True
    return False


@settings(max_examples=30)
@given(st.integers(2, 3), st.integers(1, 3), st.integers(0, 2**32))
def test_step_layers_against_complete_brute_force(m, n, seed):
    # A step layer gives points h(x) in {0,1}^n, n <= 3. A real separator defines a threshold function of
    # n <= 3 variables, which has integer weights <= 2 (Muroga's tables), so the brute force with K = 2
    # is complete.
    rng = np.random.default_rng(seed)
    dom = Domain(m)
    net = _net(rng.integers(-2, 3, (n, m)), rng.integers(-2, 3, n), "step")
    fs = (
        all_functions(dom)
        if m == 2
        else FeatureSet.from_bits(dom, rng.integers(0, 2, (12, dom.size)).astype(bool))
    )
    H = _hidden(net, dom)
    for i, r in enumerate(lp.readable(net, fs)):
        assert _backed(r, net, dom, fs.bits[i]) == _brute_readable(H, fs.bits[i])


@settings(max_examples=30)
@given(st.integers(2, 3), st.integers(1, 3), st.booleans(), st.booleans(), st.integers(0, 2**32))
def test_relu_and_float_layers_are_sound(m, n, floats, nonneg, seed):
    # Sound oracle: if small integer readouts work the LP must say readable; whatever the LP says is re-proved
    # above (exact witness, or an exactly re-checked Farkas vector); and it never gives up.
    rng = np.random.default_rng(seed)
    dom = Domain(m)
    W = rng.normal(size=(n, m)) if floats else rng.integers(-2, 3, (n, m))
    b = rng.normal(size=n) if floats else rng.integers(-2, 3, n)
    net = _net(W, b, "relu")
    fs = FeatureSet.from_bits(dom, rng.integers(0, 2, (10, dom.size)).astype(bool))
    H = _hidden(net, dom)
    for i, r in enumerate(lp.readable(net, fs, nonnegative=nonneg)):
        got = _backed(r, net, dom, fs.bits[i], nonneg)
        if not nonneg and _brute_readable(H, fs.bits[i]):
            assert got


def test_float_weights_are_handled_exactly():
    # h = relu(0.1 x0 + 0.2 x1 - 0.3): the float 0.1 + 0.2 - 0.3 is 5.55e-17 > 0, so (1,1) is the only active
    # point, with the tiny exact value; its feature "x0 & x1" is readable only through that tiny value.
    dom = Domain(2)
    net = _net([[0.1, 0.2]], [-0.3], "relu")
    H = _hidden(net, dom)
    assert H[3][0] == Fraction(0.1) + Fraction(0.2) - Fraction(0.3) > 0
    fs = formulas(dom, "x0 & x1; x0")
    res = lp.readable(net, fs)
    assert [_backed(r, net, dom, fs.bits[i]) for i, r in enumerate(res)] == [True, False]


# ---------------------------------------------------------------------------------------------------------
# solve() on a Problem, and helpers


def test_solve_with_fixed_hidden_layer():
    dom = Domain(2)
    fs = formulas(dom, "x0 & x1; x0 | x1")
    hidden = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    p = Problem(fs, 2, "relu", None)
    res = lp.solve(p, hidden=hidden)
    assert res.status is Status.REPRESENTABLE and res.info["hidden_fixed"]
    for i in range(2):
        assert _computes(
            Network(
                res.witness.W_in,
                res.witness.b_in,
                res.witness.W_out[i : i + 1],
                res.witness.b_out[i : i + 1],
                "relu",
            ),
            dom,
            fs.bits[i],
        )
    res = lp.solve(Problem(formulas(dom, "x0 | x1; x0 ^ x1"), 2, "relu", None), hidden=hidden)
    assert res.status is Status.NOT_REPRESENTABLE and res.certificate.kind == "farkas"
    assert "hidden layer fixed" in res.certificate.detail


def test_solve_respects_readout_sign_code():
    dom = Domain(2)
    hidden = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    code = Code(np.eye(2, dtype=np.int64), None, np.array([[1, -1]]), "sign")
    # y = v0 x0 + v1 x1 + c with v0 > 0 > v1: "x0 & ~x1" is readable, "x0 & x1" is not
    assert (
        lp.solve(Problem(formulas(dom, "x0 & ~x1"), 2, "relu", None, code=code), hidden=hidden).status
        is Status.REPRESENTABLE
    )
    res = lp.solve(Problem(formulas(dom, "x0 & x1"), 2, "relu", None, code=code), hidden=hidden)
    assert res.status is Status.NOT_REPRESENTABLE and res.certificate.checked


def test_bad_input():
    dom = Domain(2)
    fs = formulas(dom, "x0")
    hidden = _net(np.eye(2, dtype=np.int64), [0, 0], "relu")
    with pytest.raises(CapacityError):
        lp.solve(Problem(fs, 2, "relu", None))
    with pytest.raises(CapacityError):
        lp.solve(Problem(fs, 2, "relu", 1), hidden=hidden)
    with pytest.raises(CapacityError):
        lp.solve(Problem(fs, 3, "relu", None), hidden=hidden)
    with pytest.raises(CapacityError):
        lp.readable("net", fs)
    with pytest.raises(CapacityError):
        lp.readable(_net(np.eye(3, dtype=np.int64), [0, 0, 0], "relu"), fs)  # 3 inputs, domain has 2
    with pytest.raises(CapacityError):
        lp.readout(np.zeros((4, 1), dtype=object), np.ones(4, bool), lo=[2])


def test_farkas_keys_outside_the_readout_are_rejected():
    # one hidden unit that is 0 everywhere, readout v in [1, 2]: the labels (0, 1) are not separable, but
    # lambda = 0 proves nothing. A key -1 would read lo[-1] = lo[0] and make the right-hand side -1 < 0.
    Hx = np.zeros((2, 1), dtype=np.int64)
    labels = np.array([False, True])
    lo, hi = np.array([1.0]), np.array([2.0])
    zero = [Fraction(0), Fraction(0)]
    assert not lp.check_farkas(Hx, labels, lo, hi, {"lambda": zero, "mu_lo": {-1: 1}, "mu_hi": {}})
    assert not lp.check_farkas(Hx, labels, lo, hi, {"lambda": zero, "mu_lo": {}, "mu_hi": {-1: 1}})
    # keys >= n are rejected too, not an IndexError
    assert not lp.check_farkas(Hx, labels, lo, hi, {"lambda": zero, "mu_lo": {1: 1}, "mu_hi": {}})
    assert not lp.check_farkas(Hx, labels, lo, hi, {"lambda": zero, "mu_lo": {}, "mu_hi": {7: 1}})
    # the well-formed certificate of the same fact (key 0) is accepted, so the rejections above are about keys:
    # lambda = (1, 1) gives column 0 + mu_hi - mu_lo = 0 and bias -1 + 1 = 0 ... with mu = 0, rhs = -1 < 0
    assert lp.check_farkas(Hx, labels, lo, hi, {"lambda": [Fraction(1), Fraction(1)], "mu_lo": {0: 0}, "mu_hi": {}})
