"""The reference brute force: golden counts from OEIS and hand proofs, a still more naive enumeration
(no deduplication, a much wider bias range) and internal consistency of solve() with functions()."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.codes import Code
from capacity.domain import Domain
from capacity.errors import CapacityError
from capacity.features import FeatureSet, formulas
from capacity.solvers.problem import Problem, Status, verify_witness
from capacity.solvers.reference import functions, solve


def table(domain, bits) -> int:
    return sum(1 << j for j, b in enumerate(bits) if b)


# A000609 (threshold functions of <= m variables): 4, 14, 104 for m = 1, 2, 3; every one has integer weights
# in [-2, 2] for m <= 3 (Muroga's tables: the largest weight needed for m = 3 is 2). One ReLU unit with a
# threshold readout computes exactly the threshold functions (v relu(z) = sign(v) relu(|v| z), docs/design.md §3).
@pytest.mark.parametrize("activation", ["step", "relu"])
@pytest.mark.parametrize("m, count", [(1, 4), (2, 14), (3, 104)])
def test_one_unit_gives_the_threshold_functions(activation, m, count):
    assert len(functions(Domain(m), 1, activation, 2)) == count


# A002078 (positive threshold functions of <= m variables): 3, 6, 20 for m = 1, 2, 3.
@pytest.mark.parametrize("m, count", [(1, 3), (2, 6), (3, 20)])
def test_nonnegative_unit_gives_the_positive_threshold_functions(m, count):
    assert len(functions(Domain(m), 1, "step", 2, nonnegative=True)) == count


def test_two_inputs_by_hand():
    d = Domain(2)
    xor, xnor = table(d, [0, 1, 1, 0]), table(d, [1, 0, 0, 1])
    one = functions(d, 1, "step", 1)
    # the 14 threshold functions of 2 variables all have weights in {-1, 0, 1}; XOR and XNOR are not threshold
    assert one == set(range(16)) - {xor, xnor}
    # two units: XOR = [x0 + x1 - 1 >= 0] - [x0 + x1 - 2 >= 0] - 1 >= 0, XNOR its negation
    assert functions(d, 2, "step", 1) == set(range(16))
    assert functions(d, 2, "relu", 1) == set(range(16))


def naive_functions(domain, d_hidden, activation, K, bias_range):
    """Every network with weights in [-K, K] and hidden biases in bias_range: no deduplication at all."""
    X = [tuple(int(v) for v in row) for row in domain.points]
    act = (lambda z: max(z, 0)) if activation == "relu" else (lambda z: int(z >= 0))
    rows = [(w, b) for w in itertools.product(range(-K, K + 1), repeat=domain.m) for b in bias_range]
    out = set()
    for layer in itertools.product(rows, repeat=d_hidden):
        H = [[act(sum(wi * xi for wi, xi in zip(w, x)) + b) for (w, b) in layer] for x in X]
        for v in itertools.product(range(-K, K + 1), repeat=d_hidden):
            t = [sum(vj * hj for vj, hj in zip(v, h)) for h in H]
            out.add(0)
            for theta in t:
                out.add(sum(1 << i for i, ti in enumerate(t) if ti >= theta))
    return out


@pytest.mark.parametrize("activation", ["step", "relu"])
@pytest.mark.parametrize("m, d_hidden, K", [(2, 1, 1), (2, 2, 1), (3, 1, 1), (1, 2, 2)])
def test_functions_match_a_wider_naive_enumeration(activation, m, d_hidden, K):
    d = Domain(m)
    wide = range(-3 * m * K - 3, 3 * m * K + 4)  # three times the range the reference argues is enough
    assert functions(d, d_hidden, activation, K) == naive_functions(d, d_hidden, activation, K, wide)


def test_sparse_domain():
    d = Domain(3, sparsity=1)  # points 000, 100, 010, 001
    fs = functions(d, 1, "step", 1)
    # every function on these 4 points (the origin and the unit vectors) is [sum_i a_i x_i + c >= 0] with
    # K = 1: if f(0) = 1 take c = 0 and a_i = 0 or -1, else c = -1 and a_i = 1 or 0, per f(e_i)
    assert fs == set(range(16))


@st.composite
def tiny_problems(draw, single=False):
    m = draw(st.integers(1, 3))
    d = Domain(m, draw(st.sampled_from([None, 1])) if m == 3 else None)
    n = draw(st.integers(1, 2))
    K = draw(st.integers(1, 2 if (m < 3 or n == 1) else 1))
    act = draw(st.sampled_from(["step", "relu"]))
    F = 1 if single else draw(st.integers(1, 2))
    bits = draw(st.lists(st.lists(st.booleans(), min_size=d.size, max_size=d.size), min_size=F, max_size=F))
    code = None
    if draw(st.booleans()):
        S = np.array(draw(st.lists(st.lists(st.sampled_from([-1, 0, 1]), min_size=m, max_size=m),
                                   min_size=n, max_size=n)))
        Sb = np.array(draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))) if draw(st.booleans()) else None
        So = np.array([draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))]) if draw(st.booleans()) else None
        code = Code(S, Sb, So, draw(st.sampled_from(["sign", "support"])))
    nonneg = draw(st.booleans())
    try:
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, code)
    except CapacityError:  # a contradictory code (negative sign with non-negative weights)
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, None)


@settings(deadline=None, max_examples=40)
@given(tiny_problems(single=True))
def test_solve_agrees_with_functions(problem):
    r = solve(problem)
    assert r.status in (Status.REPRESENTABLE, Status.NOT_REPRESENTABLE)
    f = table(problem.domain, problem.features.bits[0])
    fs = functions(problem.domain, problem.d_hidden, problem.activation, problem.weight_bound,
                   problem.nonnegative, problem.code)
    assert (r.status is Status.REPRESENTABLE) == (f in fs)
    if r.witness is not None:
        assert verify_witness(problem, r.witness)[0]
        assert table(problem.domain, r.witness.outputs(problem.domain)[:, 0]) == f
    else:
        assert r.certificate.kind == "enumeration" and r.certificate.checked


def test_simultaneous_features_share_the_hidden_layer():
    d = Domain(2)
    # one step unit h: a readout [v h + c >= 0] computes only h, not-h or a constant. AND and OR are
    # distinct, and AND is not the negation of OR (both are 0 at 00), so no single h serves both: width 2
    fs = formulas(d, "x0 & x1; x0 | x1")
    assert solve(Problem(fs, 1, "step", 1)).status is Status.NOT_REPRESENTABLE
    r = solve(Problem(fs, 2, "step", 1))
    assert r.status is Status.REPRESENTABLE and verify_witness(r.problem, r.witness)[0]
    # XOR and AND together: the XOR witness's two units can also feed AND
    r = solve(Problem(formulas(d, "x0 ^ x1; x0 & x1"), 2, "relu", 1))
    assert r.status is Status.REPRESENTABLE and r.witness.n_features == 2


def test_codes_are_respected():
    d = Domain(2)
    fs = formulas(d, "x0 | x1")
    # OR needs positive weights on both inputs: a code with a zero in column 1 cannot compute it
    assert solve(Problem(fs, 1, "step", 1, code=Code([[1, 0]]))).status is Status.NOT_REPRESENTABLE
    r = solve(Problem(fs, 1, "step", 1, code=Code([[1, 1]], S_b_in=[-1], S_out=[[1]])))
    assert r.status is Status.REPRESENTABLE
    assert (r.witness.W_in > 0).all() and r.witness.b_in[0] < 0 and r.witness.W_out[0, 0] > 0


def test_time_limit_and_errors():
    fs = formulas(Domain(3), "x0 ^ x1 ^ x2")
    r = solve(Problem(fs, 2, "step", 2), time_limit=1e-9)
    assert r.status is Status.UNKNOWN and r.witness is None and r.certificate is None
    with pytest.raises(CapacityError):
        solve(Problem(fs, 1, "step", None))
    with pytest.raises(CapacityError):
        functions(Domain(2), 1, "step", None)
