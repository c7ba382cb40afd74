"""The sat method: XOR needs two units (hand proof + checked DRUP proofs), agreement with the reference
brute force on tiny random problems, the representable set of single features, proofs on disk, limits."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver

from capacity.codes import Code
from capacity.domain import Domain
from capacity.drup import check_drup, read_dimacs, read_proof
from capacity.lrat import is_lrat, lrat_to_drup
from capacity.errors import CapacityError
from capacity.features import FeatureSet, formulas
from capacity.solvers import reference, sat
from capacity.solvers.problem import Problem, Status, verify_witness


def independent_check(cnf, proof_lines) -> bool:
    """RUP replay on minisat22's own unit propagation (deletions ignored: sound, only more permissive)."""
    with Solver(name="minisat22", bootstrap_with=cnf) as s:
        for line in proof_lines:
            toks = line.split()
            if toks[0] == "d":
                continue
            lits = [int(t) for t in toks[:-1]]
            if s.propagate(assumptions=[-lit for lit in lits])[0]:
                return False
            if not lits:
                return True
            s.add_clause(lits)
        return not s.propagate(assumptions=[])[0]


def check_result(problem, r):
    """Every answer carries what backs it."""
    if r.status is Status.REPRESENTABLE:
        assert verify_witness(problem, r.witness)[0]
    elif r.status is Status.NOT_REPRESENTABLE:
        assert r.certificate.kind == "drup" and r.certificate.checked and r.certificate.data.ok


# XOR on 2 inputs is not a threshold function (w0 + b >= 0, w1 + b >= 0, b < 0, w0 + w1 + b < 0 add up to
# 0 > 0), and one unit of either kind with a threshold readout computes only threshold functions; two units
# do it: [x0 + x1 - 1 >= 0] - [x0 + x1 - 2 >= 0] - 1 >= 0 exactly on 01 and 10.
@pytest.mark.parametrize("activation", ["step", "relu"])
@pytest.mark.parametrize("K", [1, 2])
def test_xor_needs_two_units(activation, K):
    fs = formulas(Domain(2), "x0 ^ x1")
    one = Problem(fs, 1, activation, K)
    r = sat.solve(one)
    assert r.status is Status.NOT_REPRESENTABLE
    check_result(one, r)
    assert "DRUP" in r.certificate.detail and r.info["proof_lemmas"] >= 1
    clauses, _, _ = sat.encode(one, dominance="auto", tables=True)  # solve's defaults
    assert r.info["clauses"] == len(clauses)
    two = Problem(fs, 2, activation, K)
    r2 = sat.solve(two)
    assert r2.status is Status.REPRESENTABLE
    check_result(two, r2)


def test_proof_files_are_written_deterministically_and_recheck(tmp_path):
    one = Problem(formulas(Domain(2), "x0 ^ x1"), 1, "relu", 2)
    r = sat.solve(one, proof_path=tmp_path / "a.drup")
    sat.solve(one, proof_path=tmp_path / "b.drup")
    assert r.certificate.path == str(tmp_path / "a.drup")
    for suffix in (".drup", ".cnf"):
        assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()
    cnf, proof = read_dimacs(tmp_path / "a.cnf"), read_proof(tmp_path / "a.drup")
    assert check_drup(cnf, proof).ok
    assert independent_check(cnf, lrat_to_drup(cnf, proof) if is_lrat(proof) else proof)  # hints dropped
    # a representable problem writes nothing
    sat.solve(one.with_width(2), proof_path=tmp_path / "c.drup")
    assert not list(tmp_path.glob("c.*"))


@st.composite
def tiny_problems(draw, heavy=False):
    """m <= 3, width <= 2, K <= 2, step/relu, optional random codes and non-negativity; 1-2 features.
    The default run leaves out m = 3 with width 2 and K = 2 (the reference needs seconds there)."""
    m = draw(st.integers(1, 3))
    d = Domain(m, draw(st.sampled_from([None, None, 1, 2])) if m == 3 else None)
    n = draw(st.integers(1, 2))
    K = draw(st.integers(1, 2 if (heavy or m < 3 or n == 1) else 1))
    act = draw(st.sampled_from(["step", "relu"]))
    F = draw(st.integers(1, 2))
    bits = draw(st.lists(st.lists(st.booleans(), min_size=d.size, max_size=d.size), min_size=F, max_size=F))
    code = None
    if draw(st.booleans()):
        signs = st.sampled_from([-1, 0, 1])
        S = np.array(draw(st.lists(st.lists(signs, min_size=m, max_size=m), min_size=n, max_size=n)))
        Sb = np.array(draw(st.lists(signs, min_size=n, max_size=n))) if draw(st.booleans()) else None
        So = (np.array(draw(st.lists(st.lists(signs, min_size=n, max_size=n), min_size=1, max_size=1)))
              if draw(st.booleans()) else None)
        code = Code(S, Sb, So, draw(st.sampled_from(["sign", "support"])))
    nonneg = draw(st.booleans())
    try:
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, code)
    except CapacityError:  # contradictory code: keep the draw without it
        return Problem(FeatureSet.from_bits(d, bits), n, act, K, nonneg, None)


def agree(problem, **kw):
    r = sat.solve(problem, **kw)
    ref = reference.solve(problem)
    assert ref.status is not Status.UNKNOWN
    assert r.status is ref.status, (problem.to_dict(), problem.features.bits.tolist())
    check_result(problem, r)


@settings(deadline=None, max_examples=40)
@given(tiny_problems())
def test_sat_agrees_with_reference(problem):
    agree(problem)


@settings(deadline=None, max_examples=25)
@given(tiny_problems())
def test_symmetry_breaking_does_not_change_answers(problem):
    a = sat.solve(problem, symmetry_breaking=True)
    b = sat.solve(problem, symmetry_breaking=False)
    assert a.status is b.status
    check_result(problem, a)
    check_result(problem, b)
    assert b.info["symmetry_constraints"] == 0


@pytest.mark.slow
@settings(deadline=None, max_examples=150)
@given(tiny_problems(heavy=True))
def test_sat_agrees_with_reference_heavy(problem):
    agree(problem)


def representable_set_by_sat(domain, d_hidden, activation, K, nonnegative=False):
    out = set()
    for t in range(1 << domain.size):
        bits = [[(t >> j) & 1 for j in range(domain.size)]]
        p = Problem(FeatureSet.from_bits(domain, bits), d_hidden, activation, K, nonnegative)
        r = sat.solve(p)
        check_result(p, r)
        if r.status is Status.REPRESENTABLE:
            out.add(t)
    return out


@pytest.mark.parametrize("activation", ["step", "relu"])
@pytest.mark.parametrize("m, d_hidden, K, nonneg", [(2, 1, 1, False), (2, 2, 1, False), (2, 1, 2, True),
                                                    (1, 2, 2, False)])
def test_single_features_match_reference_functions(activation, m, d_hidden, K, nonneg):
    d = Domain(m)
    assert representable_set_by_sat(d, d_hidden, activation, K, nonneg) == reference.functions(
        d, d_hidden, activation, K, nonneg)


@pytest.mark.parametrize("activation", ["step", pytest.param("relu", marks=pytest.mark.slow)])
def test_single_features_three_inputs_one_unit(activation):
    # 104 threshold functions of 3 variables (A000609), all with weights in [-2, 2]
    d = Domain(3)
    got = representable_set_by_sat(d, 1, activation, 2)
    assert got == reference.functions(d, 1, activation, 2)
    assert len(got) == 104


@pytest.mark.slow
@pytest.mark.parametrize("activation, K", [("step", 1), ("step", 2), ("relu", 1), ("relu", 2)])
def test_single_features_three_inputs_two_units(activation, K):
    d = Domain(3)
    assert representable_set_by_sat(d, 2, activation, K) == reference.functions(d, 2, activation, K)


def test_encoding_is_deterministic_and_symmetry_breaking_applies():
    p = Problem(formulas(Domain(3), "x0 & x1; x1 | x2"), 2, "relu", 2)
    c1, _, i1 = sat.encode(p)
    c2, _, _ = sat.encode(p)
    assert c1 == c2
    assert i1["symmetry_constraints"] == 1 and i1["interchangeable_classes"] == [2]
    # units with different code rows are not interchangeable
    pc = Problem(p.features, 2, "relu", 2, code=Code([[1, 1, 0], [0, 1, 1]]))
    assert sat.encode(pc)[2]["symmetry_constraints"] == 0


def test_time_limit_gives_unknown():
    # parity of 4 inputs with 2 ReLU units and K = 2: far more than half a second of search
    p = Problem(formulas(Domain(4), "x0 ^ x1 ^ x2 ^ x3"), 2, "relu", 2)
    t0 = time.perf_counter()
    r = sat.solve(p, time_limit=0.5)
    assert time.perf_counter() - t0 < 5
    assert r.status is Status.UNKNOWN and r.witness is None and r.certificate is None


def test_conflict_limit_is_deterministic():
    """The conflict budget ends the search in UNKNOWN ("conflict limit") whatever the clock says; within it the
    answer and witness do not depend on a (generous) time limit."""
    hard = Problem(formulas(Domain(4), "x0 ^ x1 ^ x2 ^ x3"), 2, "relu", 2)
    r = sat.solve(hard, conflict_limit=2000)
    assert r.status is Status.UNKNOWN and r.info["unknown_reason"] == "conflict limit"
    easy = Problem(formulas(Domain(3), "x0 & x1; x1 | x2"), 2, "relu", 1)
    a, b = sat.solve(easy, conflict_limit=10**6), sat.solve(easy, conflict_limit=10**6, time_limit=600)
    assert a.status is b.status is Status.REPRESENTABLE and a.witness.to_dict() == b.witness.to_dict()


def test_time_limit_stops_cadical_in_the_middle_of_a_search():
    """The deadline stops one uninterrupted CaDiCaL search (its own terminate(), from a native timer), so the
    whole call returns within T + 2 s: ReLU U-AND m = 5, K = 3, width 2 is undecided after minutes."""
    from capacity.features import from_spec
    from capacity.lrat import lrat_solver
    from capacity.solvers._interrupt import deadline_timer

    p = Problem(from_spec(Domain(5, 2), "pairs"), 2, "relu", 3)
    for symmetric in (False, True):  # the symmetric search before the main one is bounded by the limit too
        t0 = time.perf_counter()
        r = sat.solve(p, time_limit=3, symmetric_search=symmetric)
        assert time.perf_counter() - t0 <= 3 + 2
        assert r.status is Status.UNKNOWN and r.info["unknown_reason"] == "time limit"
        if not symmetric:
            assert r.info["stopped_by"].startswith("CaDiCaL terminate()")
    # a deadline inside the encoding (m = 6, K = 3, width 3: seconds of encoding) stops it there
    big = Problem(from_spec(Domain(6, 2), "pairs"), 3, "relu", 3)
    t0 = time.perf_counter()
    r = sat.solve(big, time_limit=0.3, symmetric_search=False)
    assert time.perf_counter() - t0 < 0.3 + 1 and r.info["stopped_by"] == "deadline while encoding"
    # the timer alone, on a search with no conflict budget: nothing else can end it within seconds
    s = lrat_solver("cadical195", sat.encode(p)[0])
    t0 = time.perf_counter()
    timer = deadline_timer(s, "cadical195", t0 + 1)
    answer = s.solve_limited()
    elapsed = time.perf_counter() - t0
    timer.cancel()
    s.delete()
    assert answer is None and 1 <= elapsed < 3


def test_limits_do_not_change_the_search():
    """A time limit or a conflict budget only ends the search; the witness is the one the unlimited search finds
    (ReLU U-AND m = 4, K = 2, width 2 takes tens of thousands of conflicts)."""
    from capacity.features import from_spec

    p = Problem(from_spec(Domain(4, 2), "pairs"), 2, "relu", 2)
    a, b = sat.solve(p), sat.solve(p, time_limit=600, conflict_limit=10**7)
    assert a.status is b.status is Status.REPRESENTABLE and a.witness.to_dict() == b.witness.to_dict()


@st.composite
def real_step_problems(draw):
    m = draw(st.integers(1, 3))
    n = 1 if m == 3 else draw(st.integers(1, 2))
    d = Domain(m, draw(st.sampled_from([None, 1, 2])) if m == 3 else None)
    F = draw(st.integers(1, 2))
    bits = draw(st.lists(st.lists(st.booleans(), min_size=d.size, max_size=d.size), min_size=F, max_size=F))
    return Problem(FeatureSet.from_bits(d, bits), n, "step", None, draw(st.booleans()))


@settings(deadline=None, max_examples=30)
@given(real_step_problems())
def test_real_step_agrees_with_reference_at_the_weight_bound(problem):
    # real weights reduce to |W_in| <= K(m) <= 2 and |W_out| <= K(n) = 1 here (proofs/check_weight_bound.py);
    # the integer class with K = 2 contains that box and lies inside the real class, so the answers agree
    r = sat.solve(problem)
    integer = Problem(problem.features, problem.d_hidden, "step", 2, problem.nonnegative)
    assert r.status is reference.solve(integer).status
    check_result(problem, r)
    if r.certificate is not None:
        assert "real weights reduced" in r.certificate.detail


def test_errors():
    fs = formulas(Domain(2), "x0 ^ x1")
    with pytest.raises(CapacityError, match="integer weights"):
        sat.solve(Problem(fs, 1, "relu", None))
    with pytest.raises(CapacityError, match="integer weights"):
        sat.solve(Problem(fs, 1, "step", None, code=Code([[1, 1]])))
    with pytest.raises(CapacityError, match="solver"):
        sat.solve(Problem(fs, 1, "relu", 1), solver="minisat22")
    with pytest.raises(CapacityError, match="time limit"):
        sat.solve(Problem(fs, 1, "relu", 1), time_limit=0)
