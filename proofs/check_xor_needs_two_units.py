"""Claim: XOR on 2 inputs is computed by no 1-unit network (step or ReLU, any real weights) and by 2 units.

Statement. On D = {0,1}^2 no network [v * act(w . x + b) + c >= 0] with act in {step, relu} and real
w, b, v, c computes XOR (= 1 exactly on 01 and 10); for each act some 2-unit network does.

Proof (by hand).
1. One unit with a threshold readout computes only threshold functions [a . x + t >= 0]:
   step: v * [z >= 0] + c >= 0 is a constant (v = 0, or c >= 0 and v + c >= 0, or both < 0), [z >= 0]
   (v > 0 > c >= -v) or [z < 0] = [-z > 0] (v < 0 <= c < -v); on the finite D a strict inequality
   [-z > 0] equals [-z - e >= 0] for a small e > 0. ReLU: positive homogeneity, see
   proofs/check_relu_unit_is_threshold.py (v = 0: constant; v > 0: relu(z) >= -c/v is a constant or z >= -c/v;
   v < 0: relu(z) <= c/|v| is a constant or z <= c/|v|).
2. XOR is not a threshold function: [w0 x0 + w1 x1 + b >= 0] = XOR needs
   (00) b < 0, (10) w0 + b >= 0, (01) w1 + b >= 0, (11) w0 + w1 + b < 0.
   Adding (10) and (01) gives w0 + w1 + 2b >= 0; adding (00) and (11) gives w0 + w1 + 2b < 0. Contradiction.
3. Two units: step  y = [x0 + x1 - 1 >= 0] - [x0 + x1 - 2 >= 0] - 1  and
   ReLU  y = relu(x0 + x1) - 2 relu(x0 + x1 - 1) - 1  are -1, 0, 0, -1 on 00, 10, 01, 11.

Machine checks (test_claim below).
(a) The Farkas combination of step 2: the four rows (with their sense) sum to 0 >= 1 (exact integers).
(b) For K = 1, 2, 3 and both activations the SAT method answers NOT_REPRESENTABLE at width 1 with a DRUP
    proof replayed by both engines of capacity.drup (plain Python and compiled), and also without
    symmetry breaking (width 1 has none to break); the reference enumeration agrees, and both find a
    witness at width 2. For step units the real-weight question itself is decided too (exact reduction to
    integers, proofs/check_weight_bound.py). This covers integer weights only for ReLU; the real-weight
    statement rests on the hand proof.
(c) The two explicit witnesses of step 3 are verified exactly on every point, as integer and as real networks.
"""

import numpy as np
from pysat.solvers import Solver

from capacity.domain import Domain
from capacity.drup import check_drup
from capacity.features import formulas
from capacity.network import Network
from capacity.solvers import reference, sat
from capacity.solvers.problem import Problem, Status, verify_witness


def test_claim():
    d = Domain(2)
    xor = formulas(d, "x0 ^ x1")

    # (a) rows over (w0, w1, b) written as "row . (w0, w1, b) >= rhs"; a strict "< 0" becomes "<= -1" after
    # scaling a real solution (the system is homogeneous), i.e. "-row >= 1". Points 00, 10, 01, 11:
    rows = [((0, 0, -1), 1), ((1, 0, 1), 0), ((0, 1, 1), 0), ((-1, -1, -1), 1)]
    total = [sum(r[i] for r, _ in rows) for i in range(3)]
    assert total == [0, 0, 0] and sum(rhs for _, rhs in rows) == 2  # 0 >= 2: impossible

    # (b) SAT with checked DRUP proofs, and the reference enumeration
    for act in ("step", "relu"):
        for K in (1, 2, 3):
            one = Problem(xor, 1, act, K)
            for sym in (True, False):
                r = sat.solve(one, symmetry_breaking=sym)
                assert r.status is Status.NOT_REPRESENTABLE
                assert r.certificate.kind == "drup" and r.certificate.checked
            clauses, _, _ = sat.encode(one, symmetry_breaking=False)
            with Solver(name="cadical153", with_proof=True, bootstrap_with=clauses) as s:
                assert s.solve() is False
                proof = s.get_proof()
            assert check_drup(clauses, proof, engine="python").ok
            assert check_drup(clauses, proof, engine="numba").ok
            assert reference.solve(one).status is Status.NOT_REPRESENTABLE
            two = Problem(xor, 2, act, K)
            for method in (sat, reference):
                r2 = method.solve(two)
                assert r2.status is Status.REPRESENTABLE and verify_witness(two, r2.witness)[0]
    real_one = sat.solve(Problem(xor, 1, "step", None))
    assert real_one.status is Status.NOT_REPRESENTABLE and real_one.certificate.checked
    assert sat.solve(Problem(xor, 2, "step", None)).status is Status.REPRESENTABLE

    # (c) explicit witnesses
    step = Network(np.array([[1, 1], [1, 1]]), np.array([-1, -2]), np.array([[1, -1]]), np.array([-1]), "step")
    relu = Network(np.array([[1, 1], [1, 1]]), np.array([0, -1]), np.array([[1, -2]]), np.array([-1]), "relu")
    for net in (step, relu):
        assert net.logits(d)[:, 0].tolist() == [-1, 0, 0, -1]
        for K in (2, None):
            ok, reason = verify_witness(Problem(xor, 2, net.activation, K), net)
            assert ok, reason


if __name__ == "__main__":
    test_claim()
    print("PASS: XOR on 2 inputs needs 2 hidden units (step and ReLU); checked DRUP proofs at K = 1, 2, 3")
