"""Rule 7 of the sat encoding (``encode(first_rows=True)``): with double lex, the first two rows of ``W_in``
are the smallest rows the others become under column permutations that keep the rows above. Checked against
the rule written out separately and, network by network, against orbits computed by brute force over every
permutation of inputs and units: the rule keeps exactly the orbits the other rules keep."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver

from capacity import Domain, FeatureSet, Problem, from_spec
from capacity.solvers import enumerate as en
from capacity.solvers import sat
from capacity.solvers.problem import Status, verify_witness


def layers(problem, first_rows, cap=20000):
    """Every model of the symmetry-broken CNF projected onto the hidden layer, as ``(W_in, b_in)`` arrays keyed
    by their bytes."""
    clauses, decode, info = sat.encode(problem, True, first_rows=first_rows)
    out = {}
    with Solver(name="cadical153", bootstrap_with=clauses) as s:
        if not s.solve():
            return out, info
        model = s.get_model()
        net = decode(model)
        base = net.W_in.tobytes() + net.b_in.tobytes()
        proj = []
        for v in range(1, len(model) + 1):
            other = decode([-x if i == v - 1 else x for i, x in enumerate(model)])
            if other.W_in.tobytes() + other.b_in.tobytes() != base:
                proj.append(v)
        while s.solve():
            model = s.get_model()
            net = decode(model)
            out[net.W_in.tobytes() + net.b_in.tobytes()] = (net.W_in.copy(), net.b_in.copy())
            assert len(out) <= cap, "class too large for this test"
            s.add_clause([-model[v - 1] for v in proj])
    return out, info


def obeys(W, b) -> bool:
    """Rule 7 from its statement: row 0 is no larger than any row sorted, row 1 no larger than any later row
    sorted within the blocks of equal row-0 entries (rows compared with their bias appended)."""
    n = W.shape[0]
    if n > 1 and any(tuple(sorted(W[j])) + (b[j],) < tuple(W[0]) + (b[0],) for j in range(1, n)):
        return False
    blocks = [np.flatnonzero(W[0] == u) for u in sorted(set(W[0].tolist()))]
    for j in range(2, n):
        regrouped = tuple(x for blk in blocks for x in sorted(W[j][blk].tolist()))
        if regrouped + (b[j],) < tuple(W[1]) + (b[1],):
            return False
    return True


def orbit(W, b) -> tuple:
    """The smallest row-major reading of ``[W_in | b_in]`` over every permutation of inputs and units."""
    best = None
    for pi in itertools.permutations(range(W.shape[1])):
        rows = tuple(sorted(tuple(W[j, list(pi)].tolist()) + (int(b[j]),) for j in range(W.shape[0])))
        best = rows if best is None or rows < best else best
    return best


@st.composite
def invariant_problems(draw):
    """Feature sets every input permutation maps onto themselves: all pairwise ANDs and up to two non-constant
    functions of the number of active inputs, on 3 or 4 inputs; width 2-3 (the pairs keep the classes small
    enough to list)."""
    d = draw(st.sampled_from([Domain(3), Domain(3, 2), Domain(4, 2)]))
    weight = d.points.sum(axis=1)
    levels = sorted(set(weight.tolist()))
    rows = list(from_spec(d, "pairs").bits)
    for _ in range(draw(st.integers(0, 2))):
        on = draw(st.lists(st.booleans(), min_size=len(levels), max_size=len(levels))
                  .filter(lambda b: 0 < sum(b) < len(b)))
        rows.append(np.isin(weight, [lv for lv, o in zip(levels, on) if o]))
    act = draw(st.sampled_from(["step", "relu"]))
    n = draw(st.integers(2, 3))
    K = 1 if n == 3 or act == "relu" else draw(st.integers(1, 2))
    fs = FeatureSet.from_bits(d, np.array(rows, bool))
    assert fs.permutation_invariant()
    return Problem(fs, n, act, K)


@settings(max_examples=15, deadline=None)
@given(invariant_problems())
def test_rule_keeps_exactly_the_orbits_of_the_other_rules(problem):
    ruled, info = layers(problem, True)
    others, _ = layers(problem, False)
    assert info["first_row_constraints"] == (problem.d_hidden - 1) + (problem.d_hidden - 2)
    assert set(ruled) <= set(others)
    assert all(obeys(W, b) for W, b in ruled.values())
    assert {orbit(W, b) for W, b in ruled.values()} == {orbit(W, b) for W, b in others.values()}


@settings(max_examples=12, deadline=None)
@given(invariant_problems())
def test_answers_with_the_rule_equal_the_enumeration(problem):
    r = sat.solve(problem, symmetric_search=False)
    assert r.info["first_row_constraints"] > 0
    assert r.status is en.solve(problem).status
    if r.witness is not None:
        assert verify_witness(problem, r.witness)[0]
        assert obeys(r.witness.W_in, r.witness.b_in)


def test_rule_binds_and_is_left_out_without_input_symmetry():
    """U-AND on four 2-sparse inputs, width 3: the rule removes hidden layers the other rules keep; a feature set
    input permutations do not preserve gets no such constraint."""
    p = Problem(from_spec(Domain(4, 2), "pairs"), 3, "step", 1)
    ruled, _ = layers(p, True)
    others, _ = layers(p, False)
    assert 0 < len(ruled) < len(others)
    assert not all(obeys(W, b) for W, b in others.values())
    one = Problem(FeatureSet.from_bits(Domain(3), np.eye(8, dtype=bool)[[3]]), 2, "step", 1)
    assert sat.encode(one, True, first_rows=True)[2]["first_row_constraints"] == 0
