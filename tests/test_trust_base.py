"""The trust base of the SAT encoding: a DRUP proof shows the CNF unsatisfiable, not that the CNF is the
question. For tiny classes every model of ``sat.encode``'s CNF, projected onto the weight variables, is
compared network by network with the class enumerated directly by a brute force written here from the
documented class (integer weights in the box, biases in the documented finite ranges, integer margin:
``y >= 0`` on ones, ``y <= -1`` on zeros). Without symmetry breaking the two sets must be equal; with it,
the CNF's networks must be a non-empty subset whenever the class is non-empty (the symmetry-breaking
arguments keep one network per orbit, not all). Also: report code never counts UNKNOWN as agreement."""

from itertools import product

import numpy as np
import pytest
from pysat.solvers import Solver

from capacity import Code, Domain, FeatureSet, Problem
from capacity.solvers import Status
from capacity.solvers.sat import encode


def net_key(net):
    return (net.W_in.tobytes(), net.b_in.tobytes(), net.W_out.tobytes(), net.b_out.tobytes())


def cnf_networks(problem, symmetry_breaking, cap=20000, **options):
    """Every model of the CNF (``encode``'s ``options``) projected onto the variables ``decode`` reads (found by
    flipping each variable of one model: an offset-binary bit always changes the integer it encodes), as decoded
    networks."""
    clauses, decode, info = encode(problem, symmetry_breaking, **options)
    nets = {}
    with Solver(name="cadical153", bootstrap_with=clauses) as s:
        if not s.solve():
            return nets
        model = s.get_model()
        base = net_key(decode(model))
        weight_vars = []
        for v in range(1, len(model) + 1):
            flipped = list(model)
            flipped[v - 1] = -flipped[v - 1]
            if net_key(decode(flipped)) != base:
                weight_vars.append(v)
        while s.solve():
            model = s.get_model()
            net = decode(model)
            nets[net_key(net)] = net
            assert len(nets) <= cap, "class too large for this test"
            s.add_clause([-model[v - 1] for v in weight_vars])
    return nets


def brute_networks(problem):
    """All integer networks of the documented class computing the features, enumerated directly."""
    X = problem.domain.points.astype(np.int64)
    N, m = X.shape
    n, K, F = problem.d_hidden, problem.weight_bound, problem.n_features
    bits = problem.features.bits
    lo_w = 0 if problem.nonnegative else -K

    def entry_range(sign):
        if problem.code is None:
            return range(lo_w, K + 1)
        return {1: range(1, K + 1), -1: range(-K, 0), 0: range(0, 1)}[int(sign)]

    rows = []  # per unit: the weight rows its box allows
    for j in range(n):
        signs = [None] * m if problem.code is None else problem.code.S_in[j]
        rows.append(list(product(*[entry_range(sg) for sg in signs])))
    # documented bias range: b in [-Up - 1, -Lo] (step), [-Up, -Lo] (relu), from the row's box
    brange = []
    for j in range(n):
        hi = np.array([max(r) for r in zip(*rows[j])])
        lo = np.array([min(r) for r in zip(*rows[j])])
        up, low = int((X @ np.maximum(hi, 0)).max()), int((X @ np.minimum(lo, 0)).min())
        brange.append(range(-up - 1, -low + 1) if problem.activation == "step" else range(-up, -low + 1))
    vbox = range(0 if problem.nonnegative else -K, K + 1)
    out = {}
    for units in product(*[product(rows[j], brange[j]) for j in range(n)]):
        W_in = np.array([u[0] for u in units], dtype=np.int64).reshape(n, m)
        b_in = np.array([u[1] for u in units], dtype=np.int64)
        z = X @ W_in.T + b_in
        H = (z >= 0).astype(np.int64) if problem.activation == "step" else np.maximum(z, 0)
        if problem.activation == "step":
            hmax = np.ones((N, n), dtype=np.int64)
        else:  # Hmax_j(x) = sum_{i: x_i = 1} max(hi_ji, 0) + max b_j
            hmax = np.stack([X @ np.maximum(np.array([max(r) for r in zip(*rows[j])]), 0) + brange[j][-1]
                             for j in range(n)], axis=1)
        readouts = []
        for f in range(F):
            T = int((hmax @ np.full(n, K)).max())
            ok = []
            for V in product(vbox, repeat=n):
                y0 = H @ np.array(V, dtype=np.int64)
                for c in range(-T - 1, T + 1):
                    y = y0 + c
                    if ((y >= 0) == bits[f]).all() and ((y >= 0) | (y <= -1)).all():
                        ok.append((V, c))
            if not ok:
                break
            readouts.append(ok)
        else:
            for choice in product(*readouts):
                W_out = np.array([v for v, _ in choice], dtype=np.int64).reshape(F, n)
                b_out = np.array([c for _, c in choice], dtype=np.int64)
                out[(W_in.tobytes(), b_in.tobytes(), W_out.tobytes(), b_out.tobytes())] = None
    return set(out)


def features(dom, tables):
    return FeatureSet.from_bits(dom, np.array(tables, dtype=bool))


# (domain, feature truth tables, width, activation, code rows): no point-indicator features for step units,
# whose readouts the encoding derives from the hidden patterns instead of weight variables
CASES = [
    (Domain(2), [[0, 1, 1, 1]], 1, "step", None),  # OR
    (Domain(2), [[0, 1, 1, 0]], 2, "step", None),  # XOR needs two units
    (Domain(2), [[0, 1, 1, 0]], 1, "step", None),  # ... and one is not enough (empty class)
    (Domain(2), [[0, 0, 0, 1], [0, 1, 1, 1]], 1, "relu", None),  # AND and OR
    (Domain(2), [[0, 1, 1, 0]], 2, "relu", None),
    (Domain(3), [[0, 1, 1, 1, 1, 1, 1, 1]], 1, "step", None),
    (Domain(3), [[0, 0, 0, 1, 0, 1, 1, 1]], 1, "relu", None),  # majority
    (Domain(2), [[0, 1, 1, 0]], 2, "step", [[1, -1], [-1, 1]]),  # a sign code
    (Domain(3, 2), [[0, 1, 1, 1, 0, 1, 1]], 1, "relu", None),  # 2-sparse inputs: x0 or x1
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"m{c[0].m}-n{c[2]}-{c[3]}-{'code' if c[4] else 'dense'}")
def test_cnf_models_are_the_class(case):
    dom, tables, width, act, code = case
    tables = [t[: dom.size] for t in tables]
    problem = Problem(features(dom, tables), width, act, 1, False,
                      None if code is None else Code(np.array(code)))
    brute = brute_networks(problem)
    plain = cnf_networks(problem, symmetry_breaking=False)
    assert set(plain) == brute  # network by network
    if act == "step":  # step units by prime implicates (sat.solve's encoding) keep the class too
        assert set(cnf_networks(problem, symmetry_breaking=False, tables=True)) == brute
    broken = cnf_networks(problem, symmetry_breaking=True)
    assert set(broken) <= brute and bool(broken) == bool(brute)


def test_the_comparison_can_fail():
    # a wrong question (OR instead of AND) gives a different set: the comparison is not vacuous
    dom = Domain(2)
    a = Problem(features(dom, [[0, 0, 0, 1]]), 1, "relu", 1)
    b = Problem(features(dom, [[0, 1, 1, 1]]), 1, "relu", 1)
    assert brute_networks(a) and set(cnf_networks(a, False)) != brute_networks(b)


def test_unknown_never_counts_as_agreement():
    from capacity.fpe.exact import methods_agree

    R, N, U = Status.REPRESENTABLE, Status.NOT_REPRESENTABLE, Status.UNKNOWN
    assert methods_agree(R, R) and methods_agree(N, N)
    assert not methods_agree(R, N) and not methods_agree(N, R)
    assert not methods_agree(U, U) and not methods_agree(U, R) and not methods_agree(N, U)
