"""MILP method (SCIP): agreement with the brute-force oracle and with CP-SAT, known answers, the real-weight
reductions, honest UNKNOWNs, and the exact re-verification / repair of float solutions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cpsat import _check, oracle_decide, small_problems  # the shared test oracle

from capacity.codes import Code
from capacity.domain import Domain
from capacity.errors import CapacityError
from capacity.features import FeatureSet, all_functions, formulas, parity
from capacity.solvers import Problem, Status, cpsat, milp, verify_witness
from capacity.solvers.milp import hadamard_01, search_class, witness_or_repair


@pytest.mark.parametrize("act", ["step", "relu"])
@pytest.mark.parametrize("K", [1, 2, None])
def test_xor_needs_two_units(act, K):
    # hand proof in test_cpsat.test_xor_needs_two_units: one unit computes only threshold functions
    fs = formulas(Domain(2), "x0 ^ x1")
    assert _check(milp.solve(Problem(fs, 1, act, K)), Problem(fs, 1, act, K)) is False
    assert _check(milp.solve(Problem(fs, 2, act, K)), Problem(fs, 2, act, K)) is True


def test_real_step_threshold_count_104():
    # A000609(3) = 104: one real-weight step unit computes exactly the threshold functions of 3 inputs; the
    # set must equal the brute force at K = 2 (Muroga: weights <= 2 suffice for 3 inputs).
    fs = all_functions(Domain(3))
    got = set()
    for f in range(len(fs)):
        p = Problem(fs.select([f]), 1, "step", None)
        res = milp.solve(p)
        assert res.info["search_class"]["exact"] is True
        if _check(res, p):
            got.add(f)
    assert len(got) == 104
    assert got == {f for f in range(256) if oracle_decide(Problem(fs.select([f]), 1, "step", 2))}


@pytest.mark.slow
def test_real_relu_one_unit_threshold_count_104():
    fs = all_functions(Domain(3))
    count = 0
    for f in range(len(fs)):
        p = Problem(fs.select([f]), 1, "relu", None)
        count += bool(_check(milp.solve(p), p))
    assert count == 104


@settings(max_examples=25)
@given(small_problems())
def test_random_problems_match_oracle(p):
    assert _check(milp.solve(p), p) == oracle_decide(p)


@settings(max_examples=15)
@given(small_problems(codes=True))
def test_random_coded_problems_match_oracle(p):
    assert _check(milp.solve(p), p) == oracle_decide(p)


@settings(max_examples=20)
@given(
    st.sampled_from([2, 3]),
    st.sampled_from(["step", "relu"]),
    st.integers(1, 2),
    st.booleans(),
    st.integers(0, 2**32),
)
def test_real_classes_agree_with_cpsat(m, act, n, nonneg, seed):
    # both methods decide the same exact integer reduction of the real class, with independent engines
    rng = np.random.default_rng(seed)
    dom = Domain(m)
    fs = FeatureSet.from_bits(dom, rng.integers(0, 2, (1, dom.size)).astype(bool))
    p = Problem(fs, n, act, None, nonneg)
    a, b = milp.solve(p), cpsat.solve(p)
    assert _check(a, p) == _check(b, p)


@settings(max_examples=10)
@given(st.integers(0, 2**32))
def test_real_step_with_sign_code_agrees_with_cpsat(seed):
    rng = np.random.default_rng(seed)
    dom = Domain(3)
    S_in = rng.integers(-1, 2, (2, 3))
    code = Code(S_in, rng.integers(-1, 2, 2), None, "sign")
    fs = FeatureSet.from_bits(dom, rng.integers(0, 2, (1, dom.size)).astype(bool))
    p = Problem(fs, 2, "step", None, False, code)
    assert _check(milp.solve(p), p) == _check(cpsat.solve(p), p)


# ---------------------------------------------------------------------------------------------------------
# the search classes


def test_search_class_boxes():
    dom = Domain(4)
    fs = formulas(dom, "x0 & x1")
    sc = search_class(Problem(fs, 2, "step", 3))
    assert sc.exact and sc.lo_in.min() == -3 and sc.hi_in.max() == 3
    assert sc.hi_b.max() == 4 * 3 + 1  # bias clamp A + 1 with A = 4 inputs * K
    sc = search_class(Problem(fs, 2, "step", None))
    assert sc.exact and sc.hi_in.max() == hadamard_01(4) and sc.hi_out.max() == hadamard_01(2)
    sc = search_class(Problem(fs, 2, "relu", None))
    assert sc.exact and sc.lo_out.min() == -1 and sc.hi_out.max() == 1  # readout normalised by homogeneity
    sc = search_class(Problem(fs, 2, "relu", None, nonnegative=True))
    assert sc.lo_out.min() == 0 and sc.lo_in.min() == 0
    sc = search_class(Problem(formulas(dom, "x0; x1"), 2, "relu", None))
    assert not sc.exact
    # a sign code: strict signs use Hadamard's general bound and keep their signs
    code = Code(np.array([[1, -1, 0, 0], [0, 0, 1, 1]]), np.array([1, 0]), None, "sign")
    sc = search_class(Problem(fs, 2, "step", None, code=code))
    assert sc.lo_in[0, 0] == 1 and sc.hi_in[0, 1] == -1 and sc.lo_in[0, 2] == sc.hi_in[0, 2] == 0
    assert sc.lo_b[0] == 1 and sc.lo_b[1] == sc.hi_b[1] == 0


def test_capped_box_gives_unknown_not_a_guess():
    # with a tiny max_big_m the rigorous box is capped: a subclass, so infeasibility is UNKNOWN
    p = Problem(formulas(Domain(2), "x0 ^ x1"), 1, "relu", None)
    res = milp.solve(p, max_big_m=20)
    assert res.status is Status.UNKNOWN
    assert res.info["search_class"]["exact"] is False


def test_real_relu_many_features():
    dom = Domain(2)
    res = milp.solve(Problem(formulas(dom, "x0 & x1; x0 ^ x1"), 1, "relu", None))
    assert res.status is Status.NOT_REPRESENTABLE and res.info["refuted_by_feature"] == "x0 ^ x1"
    p = Problem(formulas(dom, "x0 & x1; x0 | x1; x0 ^ x1"), 2, "relu", None)
    assert _check(milp.solve(p), p) is True
    p = Problem(formulas(Domain(3), "(x0 & x1) | (x0 & x2) | (x1 & x2); (x0 & x1) | x2"), 1, "relu", None)
    assert milp.solve(p, search_bound=1).status is Status.UNKNOWN


# ---------------------------------------------------------------------------------------------------------
# exact re-verification and repair


def test_repair_recomputes_a_broken_readout_for_real_problems():
    fs = formulas(Domain(2), "x0 ^ x1")
    W_in, b_in = [[1, 1], [1, 1]], [-1, -2]  # h = [x0 + x1 >= 1], [x0 + x1 >= 2]
    real = Problem(fs, 2, "step", None)
    net, note = witness_or_repair(real, W_in, b_in, [[1, 1]], [0])  # wrong readout
    assert net is not None and note.startswith("repaired readout")
    assert verify_witness(real, net)[0]
    ints = Problem(fs, 2, "step", 2)
    net, note = witness_or_repair(ints, W_in, b_in, [[1, 1]], [0])
    assert net is None and "failed the exact check" in note


def test_deterministic_and_time_limit():
    p = Problem(parity(Domain(3)), 3, "step", 1)
    a, b = milp.solve(p, seed=1), milp.solve(p, seed=1)
    assert a.witness.to_dict() == b.witness.to_dict()
    hard = Problem(parity(Domain(5)), 4, "relu", 2)
    res = milp.solve(hard, time_limit=0.2)
    assert res.status is Status.UNKNOWN and res.info["unknown_reason"] == "time limit"


def test_bad_input():
    with pytest.raises(CapacityError):
        milp.solve(None)
    with pytest.raises(CapacityError):
        milp.solve(Problem(formulas(Domain(2), "x0"), 1, "step", 1), time_limit=0)
