"""The search engine: ``auto`` gives the same answer (method, certificate kind, witness) on an idle and on a
busy machine, because every "try this first" step is bounded by a deterministic budget, never the clock."""

import itertools
import multiprocessing
import os
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import Domain, Network, Problem, from_spec
from capacity.features import FeatureSet, formulas
from capacity.scaling.executors import DaskExecutor, LocalExecutor
from capacity.solvers import cubes, front, reference, sat
from capacity.solvers.problem import Status, verify_witness


def _spin(stop_at):
    while time.time() < stop_at:
        pass


def _fingerprint(r) -> dict:
    """Everything an answer says, without timings."""
    return {"status": str(r.status), "method": r.method,
            "certificate": None if r.certificate is None else r.certificate.kind,
            "witness": None if r.witness is None else r.witness.to_dict()}


def _busy(seconds: float):
    """Spinning processes on every core for ``seconds``."""
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_spin, args=(time.time() + seconds,), daemon=True)
             for _ in range(2 * (os.cpu_count() or 1))]
    for p in procs:
        p.start()
    return procs


# budget 0.001: CP-SAT runs out of deterministic time and auto moves on to SAT; 10: CP-SAT finds the witness
@pytest.mark.parametrize("budget, method", [(0.001, "sat"), (10.0, "cpsat")])
def test_auto_is_the_same_on_an_idle_and_a_busy_machine(monkeypatch, budget, method):
    monkeypatch.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", budget)
    problem = Problem(from_spec(Domain(4, 2), "pairs"), 3, "relu", 1)
    assert front.choose_method(problem) == "cpsat"
    idle = front.representable(problem, "auto", time_limit=120)
    procs = _busy(30.0)
    try:
        busy = front.representable(problem, "auto", time_limit=120)
    finally:
        for p in procs:
            p.terminate()
            p.join()
    assert idle.status is Status.REPRESENTABLE and idle.method == method
    assert _fingerprint(busy) == _fingerprint(idle)


@settings(deadline=None, max_examples=15)
@given(st.lists(st.lists(st.booleans(), min_size=7, max_size=7), min_size=1, max_size=2), st.integers(1, 2))
def test_relu_normalisation_keeps_answers(bits, n):
    """The ReLU symmetry clauses (some point inactive; dead or readout-free units canonical) agree with the
    plain-Python brute force on 2-sparse inputs of 3 variables."""
    problem = Problem(FeatureSet.from_bits(Domain(3, 2), bits), n, "relu", 1)
    r = sat.solve(problem, symmetric_search=False)  # the rules of the whole CNF, not a symmetric witness
    assert r.info["relu_normalised_units"] == n
    assert r.status is reference.solve(problem).status


@pytest.mark.parametrize("spec, m, s, act, K", [("pairs", 4, 2, "relu", 1), ("parity", 3, None, "step", 1),
                                                ("pairs", 3, 2, "relu", 2), ("majority", 3, None, "relu", 1),
                                                ("pairs", 3, None, "step", 1)])
def test_min_width_with_all_symmetry_breaking_matches_enumeration(spec, m, s, act, K):
    """Double-lex and ReLU normalisation on permutation-invariant sets: the SAT ladder (DRUP-checked) gives
    the minimum width that exhaustive enumeration (no symmetry handling) gives."""
    fs = from_spec(Domain(m, s), spec)
    by_sat = front.min_width(fs, activation=act, weight_bound=K, method="sat")
    by_enum = front.min_width(fs, activation=act, weight_bound=K, method="enumerate")
    assert by_sat.proven and by_enum.proven
    assert by_sat.min_width == by_enum.min_width


# ---- refutation by restriction, distinguishing clauses

@st.composite
def _small_problems(draw):
    d = Domain(3, draw(st.sampled_from([None, 2])))
    bits = draw(st.lists(st.lists(st.booleans(), min_size=d.size, max_size=d.size), min_size=1, max_size=2))
    return Problem(FeatureSet.from_bits(d, bits), draw(st.integers(1, 2)), draw(st.sampled_from(["relu", "step"])),
                   1, draw(st.booleans()))


@settings(deadline=None, max_examples=40)
@given(_small_problems())
def test_restriction_lemma_on_brute_force_witnesses(problem):
    """front.restriction: a witness of the whole problem (found by the plain-Python brute force) with the
    last input's column deleted is a witness of the restriction, so a refutation of the restriction refutes
    the whole problem; and the brute force never says otherwise."""
    sub = front.restriction(problem)
    full = reference.solve(problem)
    if sub is None:
        return
    assert sub.domain.m == problem.domain.m - 1 and sub.d_hidden == problem.d_hidden
    if full.status is Status.REPRESENTABLE:
        w = full.witness
        cut = type(w)(w.W_in[:, :-1], w.b_in, w.W_out[[problem.features.names.index(f) for f in sub.features.names]],
                      w.b_out[[problem.features.names.index(f) for f in sub.features.names]], w.activation)
        assert verify_witness(sub, cut)[0]
    elif reference.solve(sub).status is Status.NOT_REPRESENTABLE:
        assert full.status is Status.NOT_REPRESENTABLE


def test_auto_refutes_through_the_restriction(monkeypatch):
    """With CP-SAT's budget used up, auto refutes ReLU U-AND on 5 inputs at width 2 through 4 inputs (there by
    SAT, a checked proof); enumeration of the whole problem agrees. (Auto would enumerate this width-2 problem
    itself; the pair limit is set to 0 so the CP-SAT and restriction steps run.)"""
    monkeypatch.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", 0.001)
    monkeypatch.setattr(front, "ENUMERATE_PAIR_LIMIT", -1)
    problem = Problem(from_spec(Domain(5, 2), "pairs"), 2, "relu", 1)
    r = front.representable(problem, "auto", time_limit=300)
    assert r.status is Status.NOT_REPRESENTABLE and r.certificate.kind == "restriction" and r.certificate.checked
    assert r.certificate.data.kind == "drup" and r.certificate.data.checked and r.method == "restriction+sat"
    assert front.representable(problem, "enumerate").status is Status.NOT_REPRESENTABLE


def test_distinguishing_clauses_are_present_and_keep_answers():
    """The redundant "h(p) != h(q)" clauses are in the ReLU encoding of U-AND (one per true/false pair) and the
    SAT ladder still gives the enumerated minimum width (3 for m = 4, K = 1)."""
    fs = from_spec(Domain(4, 2), "pairs")
    _, _, info = sat.encode(Problem(fs, 2, "relu", 1))
    assert info["distinguished_pairs"] == len(fs) * (fs.domain.size - 1)
    r = front.min_width(fs, activation="relu", weight_bound=1, method="sat")
    assert r.proven and r.min_width == 3


def test_relu_uand_six_inputs_k1_width_four_witness():
    """ReLU U-AND on 6 inputs (2-sparse), K = 1, needs 4 units, no more (the open case of issue 17; the lower
    bound is the checked refutation of width 3, through the restriction to 5 inputs). The width-4 network the
    SAT search found, evaluated here with plain numpy on every point, independently of verify_witness."""
    W_in = np.array([[-1, -1, 0, 1, 1, 1], [0, 1, -1, -1, 0, 1], [1, -1, 0, 0, 1, -1], [1, -1, 1, -1, 0, 0]])
    b_in = np.array([2, 2, 2, 2])
    W_out = np.array([[-1, 0, 0, 0], [-1, -1, 0, 0], [-1, -1, 1, -1], [0, 1, 1, 1], [0, 1, 0, 1], [-1, -1, -1, 0],
                      [0, 0, 0, -1], [0, 1, 1, -1], [-1, 1, -1, -1], [0, -1, -1, 0], [1, -1, 1, 1], [1, 0, -1, 1],
                      [0, 0, 1, -1], [1, 0, -1, -1], [1, 1, 0, 0]])
    b_out = np.array([0, 2, 2, -9, -6, 4, 0, -4, -1, 2, -8, -5, -2, -2, -7])
    X = np.array([[int(i in s) for i in range(6)] for k in range(3) for s in itertools.combinations(range(6), k)])
    y = np.maximum(X @ W_in.T + b_in, 0) @ W_out.T + b_out
    pairs = list(itertools.combinations(range(6), 2))
    assert len(X) == 22 and np.abs(W_in).max() <= 1 and np.abs(W_out).max() <= 1
    for f, (i, k) in enumerate(pairs):  # the features in from_spec's order: x0 & x1, x0 & x2, ...
        assert ((y[:, f] >= 0) == (X[:, i] & X[:, k]).astype(bool)).all()
    fs = from_spec(Domain(6, 2), "pairs")
    assert list(fs.names) == [f"x{i} & x{k}" for i, k in pairs]
    assert verify_witness(Problem(fs, 4, "relu", 1), Network(W_in, b_in, W_out, b_out, "relu"))[0]


def test_step_uand_ten_inputs_width_seven_hidden_layer():
    """Step U-AND on 10 inputs (2-sparse), K = 1, is computed by 7 units (width 6 is refuted by a checked 3.4 GB
    LRAT proof, docs/engine.md, Round 5). The hidden layer the symmetric search found, checked here by a brute
    force of its own: for every pair feature some readout in {-1, 0, 1}^7 scores its one true point strictly
    above every other point (then b_out = minus that score), evaluated with plain numpy."""
    W_in = np.array([[0, 1, 0, -1, -1, 1, 1, -1, 1, 1], [1, 0, 1, 0, -1, -1, 1, 1, -1, 1],
                     [-1, 1, 0, 1, 0, -1, -1, 1, 1, 1], [-1, -1, 1, 0, 1, 0, 1, -1, 1, 1],
                     [0, -1, -1, 1, 0, 1, 1, 1, -1, 1], [1, 0, -1, -1, 1, 0, -1, 1, 1, 1],
                     [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]])
    b_in = np.array([-1, -1, -1, -1, -1, -1, -2])
    X = np.array([[int(i in s) for i in range(10)] for k in range(3) for s in itertools.combinations(range(10), k)])
    H = (X @ W_in.T + b_in >= 0).astype(int)

    def computes_all(H):
        V = np.array(list(itertools.product((-1, 0, 1), repeat=H.shape[1])))
        scores = H @ V.T  # points x readouts
        return all((scores[p] > np.delete(scores, p, axis=0).max(axis=0)).any()
                   for p, x in enumerate(X) if x.sum() == 2)

    assert len(X) == 56 and np.abs(W_in).max() <= 1 and computes_all(H)
    # the check can fail: without any one of its units the layer misses a feature (as the refutation says)
    assert not any(computes_all(np.delete(H, j, axis=1)) for j in range(7))
    # and the package's own check agrees
    fs = from_spec(Domain(10, 2), "pairs")
    r = sat.solve(Problem(fs, 7, "step", 1), time_limit=120)
    assert r.status is Status.REPRESENTABLE and verify_witness(r.problem, r.witness)[0]


@pytest.mark.slow
def test_relu_uand_weight_bound_three_needs_three_units():
    """ReLU U-AND with K = 3 on 5 and 6 inputs needs 3 units: width 2 on 5 inputs is refuted by a checked proof
    (minutes of search; docs/engine.md, Round 5), which refutes width 2 on 6 inputs too, since the restriction of
    that question to x5 = 0 is this one; width 3 has witnesses (the symmetric search finds them in seconds)."""
    fs5, fs6 = from_spec(Domain(5, 2), "pairs"), from_spec(Domain(6, 2), "pairs")
    r = sat.solve(Problem(fs5, 2, "relu", 3))
    assert r.status is Status.NOT_REPRESENTABLE and r.certificate.kind == "drup" and r.certificate.checked
    sub = front.restriction(Problem(fs6, 2, "relu", 3))
    assert (sub.domain.m, sub.domain.sparsity, sub.d_hidden, sub.weight_bound) == (5, 2, 2, 3)
    assert sorted(map(tuple, sub.features.bits.tolist())) == sorted(map(tuple, fs5.bits.tolist()))
    for fs in (fs5, fs6):
        w = sat.solve(Problem(fs, 3, "relu", 3))
        assert w.status is Status.REPRESENTABLE and verify_witness(Problem(fs, 3, "relu", 3), w.witness)[0]


# ---- cube-and-conquer: every answer backed, independent of the worker count, a lost worker is UNKNOWN

def _cube_problems():
    xor = Problem(formulas(Domain(2), "x0 ^ x1"), 1, "relu", 1)  # not representable (XOR is no threshold)
    return [xor, xor.with_width(2), Problem(from_spec(Domain(3, 2), "pairs"), 1, "relu", 1),
            Problem(from_spec(Domain(3, 2), "pairs"), 2, "step", 1)]


@pytest.mark.parametrize("k", range(4))
def test_cubes_agree_with_plain_sat_and_back_their_answers(k):
    problem = _cube_problems()[k]
    r = cubes.solve(problem, depth=3)
    assert r.status is sat.solve(problem).status is reference.solve(problem).status
    if r.status is Status.REPRESENTABLE:
        assert verify_witness(problem, r.witness)[0]
    else:
        assert r.certificate.kind == "drup" and r.certificate.checked
        assert len(r.certificate.data) == r.info["cubes"] == 2 ** r.info["split_depth"]
        assert all(c.ok for c in r.certificate.data)


def test_cubes_give_the_same_answer_for_any_number_of_workers():
    problem = Problem(from_spec(Domain(4, 2), "pairs"), 3, "relu", 1)
    one = cubes.solve(problem, depth=4, workers=1)
    two = cubes.solve(problem, depth=4, workers=2)
    assert one.status is Status.REPRESENTABLE
    assert _fingerprint(one) == _fingerprint(two) and one.info["witness_cube"] == two.info["witness_cube"]


def _die_on_cube_0(item):
    if item[0] == 0:
        os._exit(1)  # the worker process disappears, as if killed
    return cubes._cube_task(item)


class _KillingExecutor(LocalExecutor):
    def run(self, fn, items):
        return super().run(_die_on_cube_0, items)


def test_a_killed_worker_gives_unknown_not_an_answer():
    problem = formulas(Domain(2), "x0 ^ x1")
    ex = _KillingExecutor(2)
    try:
        r = cubes.solve(Problem(problem, 1, "relu", 1), depth=2, executor=ex)
    finally:
        ex.close()
    assert r.status is Status.UNKNOWN and "worker_failure" in r.info


def test_cubes_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        problem = Problem(formulas(Domain(2), "x0 ^ x1"), 1, "step", 1)
        r = cubes.solve(problem, depth=2, executor=DaskExecutor(client=client))
    assert r.status is Status.NOT_REPRESENTABLE and r.certificate.checked
    assert r.info["executor"]["executor"] == "dask"


def test_code_sets_are_certified_by_one_lrat_proof():
    """representable_set's incremental method: one CaDiCaL 1.9.5 solver, every refutation under assumptions
    certified by its LRAT lemma 'not s_f', closed by one step; the answers match enumeration, no feature needs
    a fresh re-solve, and a closing step that leaves one refuted feature out does not check."""
    from capacity.drup import check_drup
    from capacity.features import all_functions
    from capacity.lrat import lrat_solver, solver_proof
    from capacity.solvers.codeset import _lrat_conclusion, decide_set

    fam = all_functions(Domain(3))
    problems = [Problem(fam.select([i]), 1, "relu", 1) for i in range(len(fam))]
    results, info = decide_set(problems, None, merge=False)
    truth = front.representable_set(None, fam, d_hidden=1, activation="relu", weight_bound=1, method="enumerate")
    assert [r.status is Status.REPRESENTABLE for r in results] == truth.mask.tolist()
    assert sum(c["fresh_fallbacks"] for c in info["chunks"]) == 0
    refuted = [r for r in results if r.status is Status.NOT_REPRESENTABLE]
    assert refuted and all(r.certificate.detail.startswith("LRAT proof") for r in refuted)
    # the closing step by hand on a toy instance with three selectors (10 and 12 refuted, 11 satisfiable)
    base = [[1, 2], [-1, 2], [3, 4], [-10, -2], [-11, 3], [-12, -3], [-12, -4]]
    s = lrat_solver("cadical195", base)
    sels = [10, 11, 12]
    answers = [s.solve_limited(assumptions=[x] + [-y for y in sels if y != x]) for x in sels]
    proof = solver_proof(s)
    s.delete()
    assert answers == [False, True, False]
    text, missing = _lrat_conclusion(proof, len(base), [10, 12])
    assert missing is None and check_drup(base + [[10, 12]], text, engine="lrat").ok
    short, _ = _lrat_conclusion(proof, len(base), [10])  # closes over s_10 only: the clause (s_10 or s_12) stays
    assert not check_drup(base + [[10, 12]], short, engine="lrat").ok
    assert _lrat_conclusion(proof, len(base), [10, 11])[1] is not None  # no lemma 'not s_11': not refuted
