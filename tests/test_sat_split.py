"""``sat.solve(workers > 1)``: a CNF with rule 7 that a first try does not decide is split into one cube per count
of row 0's lowest weights. The cubes cover every assignment, the answers equal the whole CNF's and the
enumeration's, every cube of a refutation carries its own checked proof, and a lost worker gives UNKNOWN."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import Domain, Problem, from_spec
from capacity.scaling.executors import SerialExecutor
from capacity.solvers import cubes, sat
from capacity.solvers import enumerate as en
from capacity.solvers.problem import Status, verify_witness
from test_engine import _KillingExecutor  # its worker exits at cube 0


@given(st.integers(1, 7))
def test_count_cubes_cover_every_assignment(m):
    """Brute force over all assignments of the unary literals: some cube holds for each, and for a real unary
    count (monotone) exactly the cube of its value."""
    u = list(range(1, m + 1))
    todo = cubes.count_cubes(u)
    assert len(todo) == m + 1
    for bits in itertools.product((False, True), repeat=m):
        holds = [all(bits[abs(x) - 1] == (x > 0) for x in c) for c in todo]
        assert sum(holds) >= 1
        if all(bits[t] >= bits[t + 1] for t in range(m - 1)):  # a real unary count: exactly its own cube
            assert holds == [t == sum(bits) for t in range(m + 1)]


PROBLEMS = [(5, 3, "step", 1), (5, 4, "step", 1), (4, 2, "relu", 1), (4, 3, "relu", 1), (4, 2, "step", 2)]


@pytest.mark.parametrize("m,n,act,K", PROBLEMS)
def test_split_answers_equal_the_whole_cnf_and_the_enumeration(monkeypatch, m, n, act, K):
    p = Problem(from_spec(Domain(m, 2), "pairs"), n, act, K)
    whole = sat.solve(p, symmetric_search=False)
    monkeypatch.setattr(sat, "SPLIT_CONFLICTS", 1)  # split whatever the first conflict does not decide
    split = sat.solve(p, symmetric_search=False, executor=SerialExecutor())
    assert split.status is whole.status is en.solve(p).status
    assert split.info["cubes"] == m + 1 and "first_try" in split.info
    if split.status is Status.REPRESENTABLE:
        assert verify_witness(p, split.witness)[0]
        assert all(split.info["cube_status"][k] == 0 for k in ("UNKNOWN", "BAD"))
    else:
        assert split.certificate.kind == "drup" and split.certificate.checked
        assert len(split.certificate.data) == m + 1 and all(c.ok for c in split.certificate.data)


def test_split_is_left_out_for_one_worker_a_proof_path_or_a_conflict_limit(monkeypatch, tmp_path):
    monkeypatch.setattr(sat, "SPLIT_CONFLICTS", 1)
    p = Problem(from_spec(Domain(5, 2), "pairs"), 3, "step", 1)
    assert "cubes" not in sat.solve(p, symmetric_search=False).info
    assert "cubes" not in sat.solve(p, symmetric_search=False, workers=2, proof_path=tmp_path / "p").info
    assert "cubes" not in sat.solve(p, symmetric_search=False, workers=2, conflict_limit=10**6).info
    assert sat.solve(p, symmetric_search=False, workers=2).info["cubes"] == 6


def test_a_lost_cube_worker_gives_unknown(monkeypatch):
    monkeypatch.setattr(sat, "SPLIT_CONFLICTS", 1)
    p = Problem(from_spec(Domain(5, 2), "pairs"), 3, "step", 1)
    ex = _KillingExecutor(2)
    try:
        r = sat.solve(p, symmetric_search=False, executor=ex)
    finally:
        ex.close()
    assert r.status is Status.UNKNOWN and "worker_failure" in r.info


@settings(max_examples=10, deadline=None)
@given(st.integers(3, 5), st.integers(2, 4))
def test_step_uand_split_agrees_with_the_enumeration(m, n):
    p = Problem(from_spec(Domain(m, 2), "pairs"), n, "step", 1)
    sat_split = sat.SPLIT_CONFLICTS
    try:
        sat.SPLIT_CONFLICTS = 1
        r = sat.solve(p, symmetric_search=False, executor=SerialExecutor())
    finally:
        sat.SPLIT_CONFLICTS = sat_split
    assert r.status is en.solve(p).status


def test_auto_hands_its_workers_to_sat(monkeypatch):
    """``representable`` with an executor: the step class goes to SAT, whose hard CNF is split there."""
    from capacity.solvers.front import representable

    monkeypatch.setattr(sat, "SPLIT_CONFLICTS", 1)
    p = Problem(from_spec(Domain(5, 2), "pairs"), 3, "step", 1)
    r, one = representable(p, "auto", executor=SerialExecutor()), representable(p, "auto")
    assert r.method == one.method == "sat" and r.info["cubes"] == 6 and "cubes" not in one.info
    assert r.status is one.status is Status.NOT_REPRESENTABLE


def test_a_time_limit_bounds_the_cubes(monkeypatch):
    """The deadline reaches every cube (search and proof check): a class that needs seconds gives UNKNOWN by
    T + 2 s."""
    import time

    monkeypatch.setattr(sat, "SPLIT_CONFLICTS", 1)
    p = Problem(from_spec(Domain(5, 2), "pairs"), 3, "relu", 1)
    t = time.perf_counter()
    r = sat.solve(p, symmetric_search=False, executor=SerialExecutor(), time_limit=0.5)
    assert time.perf_counter() - t < 2.5
    assert r.status is Status.UNKNOWN and r.info["cubes"] == 6
