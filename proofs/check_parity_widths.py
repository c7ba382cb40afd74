"""Claim: parity of k inputs needs exactly k step units in one hidden layer, for k = 2, 3, 4 (real weights).

Upper bound (construction): h_j = [x_1 + ... + x_k >= j] for j = 1..k and y = h_1 - h_2 + h_3 - ... - 1/2
computes parity; integer weights in [-1, 1] suffice. Checked exactly below.

Lower bound, by hand for k = 3: the hidden layer's hyperplanes must cut all 12 edges of the 3-cube (the two
ends of an edge have different parity but would get the same hidden pattern otherwise). A hyperplane cuts at
most 6 edges of the 3-cube, and the ones cutting 6 separate {weight <= 1} from {weight >= 2} up to negating
inputs; the 6 edges left (at 000 and 111, after the same negations) would need a hyperplane with 000 and 111 on
one side and the six middle points on the other, impossible because both sets have the centre of the cube as
their mean. So 2 units are not enough.

Lower bound, by machine for k = 2..4: the SAT method refutes width k - 1 with real weights (reduced exactly to
integer weights |W_in| <= K(k), |W_out| <= K(k-1) by proofs/check_weight_bound.py) and our DRUP checker
replays the proof; the enumeration method refutes it independently.
"""

import numpy as np

from capacity import Domain, Network, Problem, Status, from_spec
from capacity.solvers import sat, verify_witness
from capacity.solvers import enumerate as enum_solver


def construction(k: int) -> Network:
    W_in = np.ones((k, k), dtype=np.int64)
    b_in = -np.arange(1, k + 1)
    W_out = np.array([[(-1) ** j for j in range(k)]])
    return Network(W_in, b_in, W_out, np.array([-1]), "step")


def test_claim():
    for k in (2, 3, 4):
        feats = from_spec(Domain(k), "parity")
        ok, why = verify_witness(Problem(feats, k, "step", 1), construction(k))
        assert ok, why
        below = Problem(feats, k - 1, "step", None)
        r = sat.solve(below)
        assert r.status is Status.NOT_REPRESENTABLE and r.certificate.kind == "drup" and r.certificate.checked
        assert enum_solver.solve(below).status is Status.NOT_REPRESENTABLE


if __name__ == "__main__":
    test_claim()
    print("PASS: parity of k = 2, 3, 4 inputs needs exactly k step units (real weights)")
