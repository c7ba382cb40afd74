"""Witnesses by imposed symmetry (capacity.solvers.symmetric): the witnesses verify and are invariant, the
symmetric CNF is satisfiable exactly when a separately written brute force finds an invariant network of the
class, and sat.solve's answers do not change."""

import itertools

import numpy as np
import pytest

from capacity.domain import Domain
from capacity.features import from_spec
from capacity.solvers import reference, sat, symmetric
from capacity.solvers.problem import Problem, Status, verify_witness


def _invariant(net, pi, sigma, pf):
    pi, sigma = np.asarray(pi), np.asarray(sigma)
    W, b, V, c = net.W_in, net.b_in, net.W_out, net.b_out
    return ((W[np.ix_(sigma, pi)] == W).all() and (b[sigma] == b).all()
            and (V[np.ix_(pf, sigma)] == V).all() and (c[pf] == c).all())


def test_symmetric_search_finds_an_invariant_witness():
    """ReLU U-AND on 5 inputs, K = 1, width 4 (n* = 4): a witness invariant under a 4-cycle of inputs and a
    4-cycle of units, checked by verify_witness and by plain numpy on every point."""
    fs = from_spec(Domain(5, 2), "pairs")
    problem = Problem(fs, 4, "relu", 1)
    net, info = symmetric.search(problem)
    assert net is not None and info["tried"] >= 1 and info["conflicts"] <= symmetric.TOTAL_CONFLICTS
    assert verify_witness(problem, net)[0]
    X = fs.domain.points.astype(int)
    y = np.maximum(X @ net.W_in.T + net.b_in, 0) @ net.W_out.T + net.b_out
    pairs = list(itertools.combinations(range(5), 2))
    assert all(((y[:, f] >= 0) == (X[:, i] & X[:, k]).astype(bool)).all() for f, (i, k) in enumerate(pairs))
    pi, sigma = info["group"]["pi"], info["group"]["sigma"]
    assert _invariant(net, pi, sigma, sat.permuted(problem, pi)[1])
    assert symmetric.search(problem)[1] == info  # deterministic: same candidates, budgets, witness


def test_candidates_leave_out_groups_without_invariant_networks():
    """A pair is kept only when pi_f^ord(sigma) = id; for U-AND (pi_f faithful) that is ord(pi) | ord(sigma), and
    pi = id is never tried."""
    problem = Problem(from_spec(Domain(5, 2), "pairs"), 2, "relu", 3)
    cands = symmetric.candidates(problem)
    assert cands and all(symmetric._order(pi) > 1 and symmetric._order(sigma) % symmetric._order(pi) == 0
                         for pi, sigma in cands)
    assert symmetric.candidates(Problem(from_spec(Domain(3), "x0 & x1"), 2, "relu", 1)) == []  # not invariant


def _brute_invariant(problem, pi, sigma):
    """Whether some network of the class (K = 1, hidden biases in [-4, 4], which covers every behaviour on
    3 inputs: |W_in . x| <= 3) invariant under (pi, sigma) computes the features: every invariant hidden layer, then per
    feature orbit a readout v with v = v o sigma^k (k the orbit size) and max over false points < min over
    true points."""
    fs, n = problem.features, problem.d_hidden
    X = fs.domain.points.astype(int)
    m, bits = X.shape[1], fs.bits.astype(bool)
    pi, sigma = np.asarray(pi), np.asarray(sigma)
    pf = sat.permuted(problem, pi)[1]
    act = problem.activation
    for flat in itertools.product((-1, 0, 1), repeat=n * m):
        W = np.array(flat).reshape(n, m)
        if not (W[np.ix_(sigma, pi)] == W).all():
            continue
        for b in itertools.product(range(-4, 5), repeat=n):
            b = np.array(b)
            if not (b[sigma] == b).all():
                continue
            z = X @ W.T + b
            H = np.maximum(z, 0) if act == "relu" else (z >= 0).astype(int)
            ok = True
            for f in range(len(fs)):
                k, g = 1, pf[f]
                while g != f:
                    g, k = pf[g], k + 1
                sk = np.arange(n)
                for _ in range(k):
                    sk = sigma[sk]
                found = False
                for v in itertools.product((-1, 0, 1), repeat=n):
                    v = np.array(v)
                    if not (v[sk] == v).all():
                        continue
                    y = H @ v
                    if not bits[f].any() or not (~bits[f]).any() or y[~bits[f]].max() < y[bits[f]].min():
                        found = True
                        break
                if not found:
                    ok = False
                    break
            if ok:
                return True
    return False


@pytest.mark.parametrize("spec, s, act, n", [("pairs", 2, "relu", 2), ("pairs", 2, "relu", 3), ("pairs", 2, "step", 3),
                                             ("majority", None, "relu", 1), ("majority", None, "relu", 2),
                                             ("parity", None, "step", 2), ("parity", None, "step", 3)])
def test_symmetric_cnf_agrees_with_brute_force_over_invariant_networks(spec, s, act, n):
    """For every candidate group of a tiny class (3 inputs, K = 1), the symmetric CNF (with the step
    complement and ReLU normalisation rules it keeps) is satisfiable exactly when an invariant network exists;
    its models decode to verified, invariant witnesses. (Both answers occur: 12 groups with an invariant
    network, 7 without.)"""
    from pysat.solvers import Solver

    problem = Problem(from_spec(Domain(3, s), spec), n, act, 1)
    cands = symmetric.candidates(problem)
    for pi, sigma in cands:
        clauses, decode, _ = sat.encode(problem, group=[(pi, sigma)])
        with Solver(name="cadical195", bootstrap_with=clauses) as solver:
            found = solver.solve()
            model = solver.get_model()
        assert found == _brute_invariant(problem, pi, sigma), (pi, sigma)
        if found:
            net = decode(model)
            assert verify_witness(problem, net)[0]
            assert _invariant(net, pi, sigma, sat.permuted(problem, pi)[1])


@pytest.mark.parametrize("spec, s, act, K", [("pairs", 2, "relu", 1), ("parity", None, "step", 1),
                                             ("majority", None, "relu", 1)])
def test_sat_answers_with_and_without_the_symmetric_search(spec, s, act, K):
    """sat.solve with the symmetric search first gives the answers of the plain search and of the reference
    brute force at every width up to the minimum."""
    fs = from_spec(Domain(3 if s is None else 4, s), spec)
    by_symmetry = 0
    for n in (1, 2, 3):
        p = Problem(fs, n, act, K)
        a, b = sat.solve(p), sat.solve(p, symmetric_search=False)
        assert a.status is b.status
        if a.status is Status.REPRESENTABLE:
            assert verify_witness(p, a.witness)[0]
            by_symmetry += a.info["symmetric"]["group"] is not None
        else:
            assert a.certificate.checked and "symmetric" in a.info
        if fs.domain.m == 3:
            assert a.status is reference.solve(p).status
    assert by_symmetry >= 1  # the symmetric search gave a witness on each of these ladders


@pytest.mark.parametrize("m,n,act", [(9, 5, "step"), (9, 6, "step"), (10, 5, "step"), (10, 6, "step"),
                                     (4, 2, "step"), (4, 3, "step"), (9, 5, "relu")])
def test_widths_with_too_few_patterns_are_skipped(m, n, act):
    """Step U-AND on 2-sparse inputs: C(m, 2) pair points and the origin (and singletons) need C(m, 2) + 1
    distinct hidden patterns, counted here directly; below that the candidates are not tried. ReLU: never."""
    p = Problem(from_spec(Domain(m, 2), "pairs"), n, act, 1)
    expected = act == "step" and m * (m - 1) // 2 + 1 > 2 ** n
    assert sat.too_few_patterns(p) is expected
    if expected:
        net, info = symmetric.search(p)
        assert net is None and info["tried"] == 0 and "skipped" in info
        assert sat.solve(p).status is Status.NOT_REPRESENTABLE


@pytest.mark.parametrize("m,n", [(5, 3), (5, 4), (6, 4), (6, 5)])
def test_candidates_the_pattern_count_skips_have_no_invariant_witness(m, n):
    """Every candidate :func:`symmetric._patterns_fit` rejects has an unsatisfiable invariant CNF (step U-AND),
    and some are rejected."""
    from pysat.solvers import Solver

    p = Problem(from_spec(Domain(m, 2), "pairs"), n, "step", 1)
    rejected = [(pi, s) for pi, s in symmetric.candidates(p) if not symmetric._patterns_fit(p, pi, s)]
    assert rejected
    for pi, s in rejected:
        clauses, _, _ = sat.encode(p, group=[(pi, s)])
        with Solver(name="cadical153", bootstrap_with=clauses) as solver:
            assert solver.solve() is False, (pi, s)
