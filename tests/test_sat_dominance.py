"""The weight-dominance rule of the sat encoding (``encode(dominance=...)``): it never changes an answer
(against the plain-Python brute force, and against the encoding without any symmetry breaking on larger
problems), and the witnesses it finds obey it (checked by a separately written predicate)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.codes import Code
from capacity.domain import Domain
from capacity.errors import CapacityError
from capacity.features import FeatureSet, from_spec
from capacity.solvers import reference, sat
from capacity.solvers.problem import Problem, Status
from test_sat import check_result, tiny_problems


def violations(problem, net) -> list:
    """Entries ``(j, i)`` of ``net`` that could move one step towards 0 inside their box without changing
    their unit on any point of the domain (the moves the rule excludes), straight from the definition."""
    lo_in, hi_in, _, _ = problem.weight_bounds()
    X = problem.domain.points.astype(np.int64)
    relu = problem.activation == "relu"
    h = (lambda z: np.maximum(z, 0)) if relu else (lambda z: (z >= 0).astype(int))
    out = []
    for j in range(problem.d_hidden):
        exempt = relu and problem.code is None and not net.W_out[:, j].any()
        for i in range(problem.domain.m):
            w = int(net.W_in[j, i])
            if w == 0 or not lo_in[j, i] <= w - np.sign(w) <= hi_in[j, i] or (w < 0 and exempt):
                continue
            moved = net.W_in[j].copy()
            moved[i] -= np.sign(w)
            if (h(X @ net.W_in[j] + net.b_in[j]) == h(X @ moved + net.b_in[j])).all():
                out.append((j, i))
    return out


def solve_checked(problem, dominance):
    r = sat.solve(problem, dominance=dominance, symmetric_search=False)
    check_result(problem, r)
    if r.status is Status.REPRESENTABLE and dominance == "both":
        assert violations(problem, r.witness) == []
    return r


# "down" adds a subset of the clauses of "both", so checking "both" checks it too
@settings(deadline=None, max_examples=60)
@given(tiny_problems())
def test_dominance_agrees_with_reference(problem):
    r = solve_checked(problem, "both")
    assert r.status is reference.solve(problem).status, (problem.to_dict(), problem.features.bits.tolist())


@st.composite
def small_problems(draw):
    """m = 3 (cube or 2-sparse) or 4 (2-sparse), width 1-3, K <= 2 (ReLU on m = 4: width 1-2, K = 1), 1-3
    features: random tables or pairwise ANDs (which are often representable), optional non-negativity and a
    random sign/support code."""
    d = draw(st.sampled_from([Domain(3), Domain(3, 2), Domain(4, 2)]))
    m = d.m
    act = draw(st.sampled_from(["step", "relu"]))
    small = act == "relu" and m == 4  # the plain ReLU encoding needs seconds there
    n = draw(st.integers(1, 2 if small else 3))
    K = draw(st.integers(1, 1 if small else 2))
    if draw(st.booleans()):
        ands = from_spec(d, "pairs").bits
        rows = draw(st.lists(st.integers(0, len(ands) - 1), min_size=1, max_size=3, unique=True))
        bits = ands[rows].tolist()
    else:
        F = draw(st.integers(1, 2))
        bits = draw(st.lists(st.lists(st.booleans(), min_size=d.size, max_size=d.size), min_size=F, max_size=F))
    code = None
    if draw(st.integers(0, 3)) == 0:
        S = np.array(draw(st.lists(st.lists(st.sampled_from([-1, 0, 1]), min_size=m, max_size=m),
                                   min_size=n, max_size=n)))
        code = Code(S, None, None, draw(st.sampled_from(["sign", "support"])))
    nonneg = draw(st.integers(0, 3)) == 0
    try:
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, code)
    except CapacityError:
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, None)


@settings(deadline=None, max_examples=40)
@given(small_problems())
def test_dominance_agrees_with_the_plain_encoding(problem):
    plain = sat.solve(problem, symmetry_breaking=False, symmetric_search=False)
    assert solve_checked(problem, "both").status is plain.status, problem.to_dict()


@pytest.mark.slow
@settings(deadline=None, max_examples=40)
@given(small_problems().filter(lambda p: p.d_hidden <= 2 and p.weight_bound == 1))
def test_dominance_agrees_with_reference_on_four_inputs(problem):
    assert solve_checked(problem, "both").status is reference.solve(problem).status, problem.to_dict()


@pytest.mark.parametrize("activation", ["step", "relu"])
@pytest.mark.parametrize("m, d_hidden, K, nonneg", [(2, 2, 1, False), (2, 1, 2, True), (2, 2, 2, False)])
def test_single_feature_sets_match_reference_functions(activation, m, d_hidden, K, nonneg):
    d = Domain(m)
    got = set()
    for t in range(1 << d.size):
        p = Problem(FeatureSet.from_bits(d, [[(t >> j) & 1 for j in range(d.size)]]), d_hidden, activation, K, nonneg)
        if solve_checked(p, "both").status is Status.REPRESENTABLE:
            got.add(t)
    assert got == reference.functions(d, d_hidden, activation, K, nonneg)


@pytest.mark.parametrize("m, width, act, K", [(4, 3, "step", 1), (5, 4, "step", 1), (4, 2, "relu", 2),
                                              (4, 3, "relu", 1)])
def test_u_and_witnesses_obey_the_rule(m, width, act, K):
    p = Problem(from_spec(Domain(m, 2), "pairs"), width, act, K)
    r = solve_checked(p, "both")
    assert r.status is Status.REPRESENTABLE
    assert r.info["dominance_clauses"] > 0


def test_rule_is_left_out_in_group_mode_and_checks_its_argument():
    p = Problem(from_spec(Domain(4, 2), "pairs"), 2, "relu", 1)
    assert sat.encode(p, dominance="both")[2]["dominance_clauses"] == 16  # 2 directions x 2 units x 4 inputs
    assert sat.encode(p, dominance="auto")[2]["dominance_clauses"] == 0  # off for ReLU
    step = Problem(p.features, 2, "step", 1)
    assert sat.encode(step, dominance="auto")[2]["dominance_clauses"] == 16  # both for step
    assert sat.encode(step)[2]["dominance_clauses"] == 0  # encode's default: the CNFs of stored proofs
    assert sat.solve(step).info["dominance"] == "auto"
    group = [([1, 0, 2, 3], [0, 1])]
    assert sat.encode(p, group=group, dominance="both")[2]["dominance_clauses"] == 0
    with pytest.raises(CapacityError, match="dominance"):
        sat.encode(p, dominance="yes")
