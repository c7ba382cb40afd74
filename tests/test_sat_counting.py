"""The point-indicator counting constraints of the sat encoding (``encode(counting=...)``): they are implied
by the indicators, so the CNF's hidden layers are the same with and without them (network by network), the
answers agree with the enumeration, and they cut the conflicts of refutations that are counting arguments."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver

from capacity import Domain, FeatureSet, Problem, from_spec
from capacity.solvers import enumerate as en
from capacity.solvers import sat
from capacity.solvers.problem import Status, verify_witness


def hidden_layers(problem, counting, cap=5000):
    """Every model of the CNF (no symmetry breaking) projected onto the variables the decoded hidden layer
    ``(W_in, b_in)`` depends on, as a set of byte keys."""
    clauses, decode, info = sat.encode(problem, symmetry_breaking=False, counting=counting)

    def key(model):
        net = decode(model)
        return net.W_in.tobytes() + net.b_in.tobytes()

    out = set()
    with Solver(name="cadical153", bootstrap_with=clauses) as s:
        if not s.solve():
            return out, info
        model = s.get_model()
        base = key(model)
        proj = [v for v in range(1, len(model) + 1)
                if key([-x if i == v - 1 else x for i, x in enumerate(model)]) != base]
        while s.solve():
            model = s.get_model()
            out.add(key(model))
            assert len(out) <= cap, "class too large for this test"
            s.add_clause([-model[v - 1] for v in proj])
    return out, info


def indicator_problem(seed):
    """Step units, features true at one point each (point indicators), on a small domain."""
    rng = np.random.default_rng(seed)
    d = [Domain(2), Domain(3, 2), Domain(3, 1), Domain(3)][seed % 4]
    n = int(rng.integers(1, 3))
    pts = rng.choice(d.size, int(rng.integers(1, min(d.size, 5) + 1)), replace=False)
    bits = np.zeros((len(pts), d.size), bool)
    bits[np.arange(len(pts)), pts] = True
    return Problem(FeatureSet.from_bits(d, bits), n, "step", 1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_counting_keeps_every_hidden_layer(seed):
    p = indicator_problem(seed)
    plain, _ = hidden_layers(p, 0)
    counted, info = hidden_layers(p, 2)
    assert counted == plain
    r = sat.solve(p, counting=2)
    assert (r.status is Status.REPRESENTABLE) == bool(plain) == (en.solve(p).status is Status.REPRESENTABLE)
    if r.witness is not None:
        assert verify_witness(p, r.witness)[0]


def test_counting_constraints_are_present_and_can_bind():
    """U-AND on 3 inputs (2-sparse), width 2: three indicator points need three patterns besides the origin's,
    so one unit's side holds at most one of them; the constraints are there, and the class is empty."""
    p = Problem(from_spec(Domain(3, 2), "pairs"), 2, "step", 1)
    _, info = hidden_layers(p, 1)
    assert info["counting_constraints"] == 4  # two units, two sides
    assert hidden_layers(p, 0)[0] == set()


def test_counting_refutes_step_uand_nine_inputs_width_five_in_few_conflicts():
    """36 pairwise ANDs need 36 patterns distinct from the origin's: more than the 32 of five step units. The
    plain encoding finds this by search; with the counting constraints it is nearly immediate."""
    p = Problem(from_spec(Domain(9, 2), "pairs"), 5, "step", 1)
    plain = sat.solve(p, counting=0, symmetric_search=False)
    counted = sat.solve(p, counting=2, symmetric_search=False)
    assert plain.status is counted.status is Status.NOT_REPRESENTABLE
    assert counted.certificate.checked and counted.info["counting"] == 2
    assert counted.info["conflicts"] * 10 < plain.info["conflicts"]
