"""Claim: at an equal non-zero budget, FPE trades functions rather than adding them (README, FPE section).

Statement. On D = {0,1}^4 with ReLU units, integer weights in [-1, 1], free integer biases and one readout
[y >= 0], compare
  * dense width 1: one unit on all 4 inputs (4 input weights + 1 readout weight);
  * clause-aligned FPE of that unit with alpha = 2 (``capacity.fpe.exact.fpe_code``), pruned back to the dense
    budget: 2 children on disjoint input blocks, one of the 4 input weights removed (3 + 2 = 5 weights), taking
    the union over every choice of the removed weight.
Both classes compute exactly 218 functions, but not the same ones: the DNF
(x1 & ~x2) | (x0 & ~x1) | (x0 & x2) (``dnf_task(4, 1, 3, 2, seed=2)``) is in the FPE class and not in the
dense one.

Why the brute force below is exhaustive. With weights in [-1, 1] on at most 4 inputs a pre-activation w.x lies
in [-4, 4]; a bias b <= -4 silences the unit (as b = -4 does), and a bias b >= 4 makes it affine, which differs
from b = 4 only by a constant the readout threshold absorbs. So b in [-4, 4] covers every hidden function, and
the readout [v.h + c >= 0] over all integers c gives exactly the functions [v.h >= t] for t among the values
of v.h, plus the constants.

Machine checks (test_claim below).
(a) A plain-numpy enumeration (no package solver) of both classes gives the counts and the membership above.
(b) The package's enumeration (``representable_set`` per pruned code, ``representable(method="enumerate")``
    for dense) gives the same sets, and SAT (with a checked DRUP proof) agrees that dense width 1 cannot
    compute the DNF.
"""

import itertools

import numpy as np

from capacity import Domain
from capacity.features import all_functions
from capacity.fpe.exact import _pruned_union, fpe_code
from capacity.fpe.expand import parse_clauses
from capacity.solvers import Problem, Status, representable, representable_set
from capacity.tasks import dnf_task

X = Domain(4).points.astype(int)


def _functions(support: np.ndarray) -> set:
    """Every truth table [v.h + c >= 0] of ReLU units with the given 0/1 input supports (brute force)."""
    hidden = []
    for row in support:
        idx = np.flatnonzero(row)
        hs = {tuple(np.maximum(X[:, idx] @ np.array(w, dtype=int) + b, 0))
              for w in itertools.product((-1, 0, 1), repeat=len(idx)) for b in range(-4, 5)}
        hidden.append([np.array(h) for h in hs])
    out = {tuple([True] * len(X)), tuple([False] * len(X))}
    for hs in itertools.product(*hidden):
        for v in itertools.product((-1, 0, 1), repeat=len(hs)):
            y = sum(vi * h for vi, h in zip(v, hs))
            out.update(tuple(y >= t) for t in np.unique(y))
    return out


def test_claim():
    task = dnf_task(4, 1, 3, 2, seed=2)
    assert task.features.names[0] == "(x1 & ~x2) | (x0 & ~x1) | (x0 & x2)"
    target = tuple(bool(b) for b in task.features.bits[0])
    code = fpe_code(1, 4, 2, "clause", parse_clauses(task.features.names[0], 4))
    assert code.S_in.shape == (2, 4) and (code.S_in.sum(axis=0) == 1).all()  # disjoint, covering blocks

    # (a) plain numpy
    dense = _functions(np.ones((1, 4), dtype=int))
    pruned = set()
    for j, i in np.argwhere(code.S_in != 0):
        S = code.S_in.astype(int)
        S[j, i] = 0
        pruned |= _functions(S)
    assert len(dense) == len(pruned) == 218 and dense != pruned
    assert target in pruned and target not in dense

    # (b) the package's enumeration and SAT
    everything = all_functions(Domain(4))
    tables = [tuple(bool(b) for b in row) for row in everything.bits]
    mask, n_codes = _pruned_union(code, 1, everything, 1, 2)
    assert n_codes == 4 and {t for t, k in zip(tables, mask) if k} == pruned
    rs = representable_set(None, everything, d_hidden=1, weight_bound=1, method="enumerate")
    assert {t for t, k in zip(tables, rs.mask) if k} == dense
    for method in ("enumerate", "sat"):
        res = representable(Problem(task.features, 1, "relu", 1), method)
        assert res.status is Status.NOT_REPRESENTABLE and res.certificate.checked


if __name__ == "__main__":
    test_claim()
    print("PASS")
