"""Tests of capacity.interpret: hand-built channel networks whose mechanism is known by hand, exactness of the
extracted formulas (enumeration and SAT, two methods that must agree), tau stability, cascading, the CLI.

Golden values come from hand derivations written next to each network, or from an independent oracle (the
network's own exact evaluator in capacity.network, brute-force enumeration written here, feature formulas
parsed by capacity.features)."""

from __future__ import annotations

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.cli import main
from capacity.domain import Domain
from capacity.errors import CapacityError
from capacity.features import formulas
from capacity.interpret import (
    Formula,
    InterpretConfig,
    Term,
    _exact,
    extract_formula,
    interpret,
    minimal_activating_sets,
    prove_formula,
    stability_interval,
)
from capacity.interpret._sat import _adder_geq, _Cnf, _normalise, reified_geq
from capacity.network import Network


def _net(W_in, b_in, W_out, b_out, act="relu", Wh=(), bh=()):
    return Network(np.array(W_in), np.array(b_in), np.array(W_out), np.array(b_out), act,
                   tuple(np.array(w) for w in Wh), tuple(np.array(b) for b in bh))


def _table(domain, text):
    return domain.unpack(formulas(domain, [text]).tables)[0]


# ---------------------------------------------------------------------------------------------
# hand-built channel networks

def and_net():
    # unit 0: z = x0 + x1 - 1 > 0 only at x0 = x1 = 1 (z = 1); x2 has weight 0 (silent).
    # readout: y = relu(z) - 0.5 >= 0 only there.  So y0 = x0 & x1, channel {0}, MAS(unit 0) = {{0,1}}.
    return _net([[1, 1, 0]], [-1], [[1.0]], [-0.5])


def test_and_unit_by_hand():
    net = and_net()
    it = interpret(net, config=InterpretConfig(method="both"))
    o = it.outputs[0]
    assert o["formula"].text() == "x0 & x1"
    assert o["proven"] and o["claim"].startswith("proven equal on all 8 inputs")
    assert [p["method"] for p in o["proofs"]] == ["enumeration", "sat"]
    assert o["roles"] == {"excitatory": ["x0", "x1"], "inhibitory": [], "mixed": [], "silent": ["x2"]}
    assert o["channel"] == [0]
    assert o["terms"][0]["dedicated"] == [0]
    assert o["fcc_consistent"] is True
    assert it.units[0]["minimal_activating_sets"] == [[0, 1]]
    assert it.degrees["degree"] == [1]
    assert it.code["positive_codes"] == {"x0": [0], "x1": [0], "x2": []}


def dnf_net():
    # units: u0 = relu(x0 + x1 - 1) (1 only at x0=x1=1), u1 = relu(x2 + x3 - 1) (1 only at x2=x3=1).
    # y0 = u0 + u1 - 0.5 >= 0  <=>  (x0 & x1) | (x2 & x3);   y1 = u1 - 0.5 >= 0  <=>  x2 & x3.
    # channels: y0 -> {0, 1} (clause {0,1} via u0, {2,3} via u1), y1 -> {1}; unit 1 has degree 2.
    return _net([[1, 1, 0, 0], [0, 0, 1, 1]], [-1, -1], [[1.0, 1.0], [0.0, 1.0]], [-0.5, -0.5])


def test_dnf_channels_degrees_overlaps():
    it = interpret(dnf_net())
    y0, y1 = it.outputs
    assert y0["formula"].text() == "x0 & x1 | x2 & x3"
    assert y1["formula"].text() == "x2 & x3"
    assert [(t["clause"], t["channel"], t["dedicated"]) for t in y0["terms"]] == [([0, 1], [0], [0]), ([2, 3], [1], [1])]
    assert y0["channel"] == [0, 1] and y1["channel"] == [1]
    assert it.degrees["degree"] == [1, 2]
    assert it.degrees["polysemantic"] == [1]
    assert it.overlaps == [[2, 1], [1, 1]]
    assert all(it.proven)
    d = Domain(4)
    for o, text in zip(it.outputs, ["x0 & x1 | x2 & x3", "x2 & x3"]):
        assert np.array_equal(o["formula"].evaluate(d.points), _table(d, text))


def collision_net():
    # one shared unit u: z = 2 x0 + x1 + x2 - 2.  On the cube: {0,1} -> 1, {0,2} -> 1, {0,1,2} -> 2, all other
    # points <= 0.  So MAS(u) = {{0,1}, {0,2}}.  Both outputs read u: y = relu(z) - 0.5 >= 0  <=>  x0 & (x1 | x2).
    # Targets y0 = x0 & x1, y1 = x0 & x2: the activating set {0,2} of the shared unit is spurious for y0, so y0
    # is predicted wrong exactly at the point {0,2} (x0=1, x1=0, x2=1), a false positive; y1 at {0,1}.
    return _net([[2, 1, 1]], [-2], [[1.0], [1.0]], [-0.5, -0.5])


def test_collision_predicts_errors():
    net = collision_net()
    d = Domain(3)
    it = interpret(net, targets=formulas(d, ["x0 & x1", "x0 & x2"]))
    assert it.units[0]["minimal_activating_sets"] == [[0, 1], [0, 2]]
    assert it.degrees["degree"] == [2] and it.degrees["polysemantic"] == [0]
    e0, e1 = it.outputs[0]["errors"], it.outputs[1]["errors"]
    assert e0["predicted"] == [[0, 2]] and e0["actual"] == [[0, 2]] and e0["confirmed"]
    assert e1["predicted"] == [[0, 1]] and e1["actual"] == [[0, 1]] and e1["confirmed"]
    a = e0["attribution"][0]
    assert a["kind"] == "false positive" and a["clause"] == [0, 2]
    assert a["channel_units"] == [{"unit": 0, "shared_with": ["y1: x0 & x2"], "spurious_activating_sets": [[0, 2]]}]
    assert "collision" in a["cause"]
    # independent check of "actual": the network's own exact outputs against the targets
    out = net.outputs(d)
    assert np.flatnonzero(out[:, 0] != _table(d, "x0 & x1")).tolist() == [d.index([1, 0, 1])]


def test_negation_from_negative_input_weight():
    # z = x0 - x1 - 0.5 > 0 only at x0=1, x1=0 (z = 0.5); y = relu(z) - 0.25 >= 0 there.  So y = x0 & ~x1,
    # x1 inhibitory; at {0,1} the (positive-readout) unit 0 is switched off.
    it = interpret(_net([[1.0, -1.0]], [-0.5], [[1.0]], [-0.25]))
    o = it.outputs[0]
    assert o["formula"].text() == "x0 & ~x1"
    assert o["roles"]["excitatory"] == ["x0"] and o["roles"]["inhibitory"] == ["x1"]
    assert o["terms"][0]["inhibitors"] == [{"set": [1], "units": [
        {"unit": 0, "readout": "positive", "effect": "switched off"}]}]


def test_negation_through_negative_readout():
    # u0 = relu(x0), u1 = relu(x2); y = u0 - 2 u1 - 0.5 >= 0  <=>  x0 & ~x2 (x1 silent).
    it = interpret(_net([[1, 0, 0], [0, 0, 1]], [0, 0], [[1.0, -2.0]], [-0.5]))
    o = it.outputs[0]
    assert o["formula"].text() == "x0 & ~x2"
    assert o["roles"]["silent"] == ["x1"]
    assert o["terms"][0]["inhibitors"][0]["units"] == [{"unit": 1, "readout": "negative", "effect": "switched on"}]


def test_off_channel_disinhibition():
    # u0 is active at rest (z = 1 - x0 - x1): relu = 1, 0, 0 for 0, 1, 2 ones in {x0, x1}.
    # y = -2 u0 + 1.5 >= 0  <=>  u0 <= 0.75  <=>  x0 | x1.  No positive channel; unit 0 is the off-channel.
    it = interpret(_net([[-1.0, -1.0]], [1.0], [[-2.0]], [1.5]))
    o = it.outputs[0]
    assert o["formula"].text() == "x0 | x1"
    assert o["channel"] == [] and o["off_channel"] == [0]
    assert it.degrees["off_degree"] == [1]


def test_step_network():
    # step units: a0 = [x0 + x1 - 2 >= 0] (AND), a1 = [x2 - 1 >= 0]; y = a0 + a1 - 1 >= 0  <=>  x0 & x1 | x2.
    it = interpret(_net([[1, 1, 0], [0, 0, 1]], [-2, -1], [[1, 1]], [-1], act="step"),
                   config=InterpretConfig(method="both"))
    assert it.outputs[0]["formula"].text() == "x2 | x0 & x1"
    assert it.outputs[0]["proven"]


# ---------------------------------------------------------------------------------------------
# exactness: extracted formulas against independent oracles

def _mas_bruteforce(net, domain, h):
    """Minimal active points of unit h: every active point with no active proper subset (written here)."""
    act = domain.unpack(net.hidden_tables(domain))[h]
    pts = [frozenset(np.flatnonzero(p).tolist()) for p in domain.points]
    on = [p for p, a in zip(pts, act) if a]
    return sorted((tuple(sorted(p)) for p in on if not any(q < p for q in on)), key=lambda t: (len(t), t))


@st.composite
def small_networks(draw, max_depth=2):
    m = draw(st.integers(2, 5))
    n = draw(st.integers(1, 3))
    depth = draw(st.integers(1, max_depth))
    act = draw(st.sampled_from(["relu", "step"]))
    ints = st.integers(-3, 3)
    W = np.array(draw(st.lists(ints, min_size=n * m, max_size=n * m))).reshape(n, m)
    b = np.array(draw(st.lists(ints, min_size=n, max_size=n))) + draw(st.sampled_from([0.0, 0.5, 0.25]))
    Wh = tuple(np.array(draw(st.lists(ints, min_size=n * n, max_size=n * n))).reshape(n, n) for _ in range(depth - 1))
    bh = tuple(np.array(draw(st.lists(ints, min_size=n, max_size=n))) for _ in range(depth - 1))
    Wo = np.array(draw(st.lists(ints, min_size=2 * n, max_size=2 * n))).reshape(2, n)
    bo = np.array(draw(st.lists(ints, min_size=2, max_size=2))) + draw(st.sampled_from([0.0, 0.5]))
    s = draw(st.one_of(st.none(), st.integers(0, m)))
    return Network(W, b, Wo, bo, act, Wh, bh), s


@given(small_networks())
@settings(deadline=None, max_examples=60)
def test_formula_equals_network_everywhere(case):
    """The threshold reading is exact by construction: check it against the network's own exact evaluator."""
    net, s = case
    d = Domain(net.d_in, s)
    out = net.outputs(d)
    depth = len(net.layers) - 1
    for f in range(net.n_features):
        fm = extract_formula(net, f, s)
        assert np.array_equal(fm.evaluate(d.points), out[:, f]), (f, fm.text())
        dn = fm.dnf()
        if dn is not None:
            assert np.array_equal(dn.evaluate(d.points), out[:, f])
        # the printed formula parses back (capacity.features) to the same table
        assert np.array_equal(_table(d, fm.text()), out[:, f])
    acts = d.unpack(net.hidden_tables(d))
    for h in range(net.d_hidden):
        assert [tuple(A) for A in minimal_activating_sets(net, 0, h, s)] == _mas_bruteforce(net, d, h)
        fu = extract_formula(net, h, s, layer=0)
        assert np.array_equal(fu.evaluate(d.points), acts[h])
    assert depth in (1, 2)


@given(small_networks(max_depth=1), st.data())
@settings(deadline=None, max_examples=15)
def test_enumeration_and_sat_proofs_agree(case, data):
    """Two proof methods on the same domain: the extracted formula is proven by both; a perturbed formula is
    refuted by both, and the SAT counterexample is one of the points enumeration finds."""
    net, s = case
    d = Domain(net.d_in, s)
    f = data.draw(st.integers(0, net.n_features - 1))
    fm = extract_formula(net, f, s)
    for method in ("enumerate", "sat"):
        assert prove_formula(net, f, fm, s, method=method)["status"] == "proven"
    i = data.draw(st.integers(0, net.d_in - 1))
    wrong = Formula(net.d_in, fm.terms + (Term((i,)),), fm.sparsity) if data.draw(st.booleans()) else \
        Formula(net.d_in, fm.terms[1:], fm.sparsity)
    pe = prove_formula(net, f, wrong, s, method="enumerate")
    ps = prove_formula(net, f, wrong, s, method="sat")
    truth = net.outputs(d)[:, f]
    differs = np.flatnonzero(wrong.evaluate(d.points) != truth)
    assert (pe["status"] == "refuted") == (differs.size > 0) == (ps["status"] == "refuted")
    if differs.size:
        assert pe["disagreements"] == differs.size
        x = np.zeros(net.d_in, dtype=int)
        x[ps["counterexamples"][0]] = 1
        assert d.index(x) in set(differs.tolist())


def test_float_network_both_methods():
    rng = np.random.default_rng(5)
    net = Network(rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2))
    it = interpret(net, sparsity=3, config=InterpretConfig(method="both"))
    d = Domain(4, 3)
    out = net.outputs(d)
    for f, o in enumerate(it.outputs):
        assert o["proven"]
        assert {p["method"] for p in o["proofs"]} == {"enumeration", "sat"}
        assert all(p["certificate"]["checked"] for p in o["proofs"])
        assert np.array_equal(o["formula"].evaluate(d.points), out[:, f])


def test_sat_rounding_path_against_enumeration():
    """Float weights take the rounded route (band-free units, margin checks): proven formulas and refuted
    perturbations must match enumeration exactly."""
    d = Domain(4, 3)
    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        net = Network(rng.normal(size=(3, 4)).astype(np.float32).astype(float), rng.normal(size=3),
                      rng.normal(size=(1, 3)), rng.normal(size=1))
        fm = extract_formula(net, 0, 3)
        p = prove_formula(net, 0, fm, 3, method="sat")
        assert p["status"] == "proven" and p["certificate"]["checked"]
        truth = net.outputs(d)[:, 0]
        for wrong in (Formula(4, fm.terms[1:], 3), Formula(4, fm.terms + (Term((seed % 4,)),), 3)):
            differs = np.flatnonzero(wrong.evaluate(d.points) != truth)
            q = prove_formula(net, 0, wrong, 3, method="sat")
            assert (q["status"] == "refuted") == (differs.size > 0)
            if differs.size:
                x = np.zeros(4, dtype=int)
                x[q["counterexamples"][0]] = 1
                assert d.index(x) in set(differs.tolist())


def test_sat_zero_margin_falls_back_to_exact():
    # z0 = 0.1 x0 + 0.2 x1 - 0.3 (float64 values): exactly 2^-55 > 0 at {0,1}, so unit 0 is active there by
    # less than any rounding band.  y = relu(z0) + relu(x2 - 0.5) - 2^-55 is exactly 0 at {0,1}: it fires there
    # with zero margin.  Truth by hand: y >= 0 iff (x0 & x1) | x2.
    delta = 2.0**-55
    assert (Fraction(0.1) + Fraction(0.2) - Fraction(0.3)) == Fraction(delta)
    net = _net([[0.1, 0.2, 0.0], [0.0, 0.0, 1.0]], [-0.3, -0.5], [[1.0, 1.0]], [-delta])
    d = Domain(3)
    assert np.array_equal(net.outputs(d)[:, 0], _table(d, "x0 & x1 | x2"))
    fm = extract_formula(net, 0)
    assert fm.text() == "x2 | x0 & x1"
    p = prove_formula(net, 0, fm, None, method="sat")
    assert p["status"] == "proven"
    assert any("unit 0 rounding band: sat" in st for st in p["steps"])
    assert p["steps"][-1] == "exact miter: unsat"


def test_sat_path_on_large_domain():
    # 40 inputs, sparsity 3: 10701 points, forced onto the SAT path.  Unit k: relu(x_{2k} + x_{2k+1} - 1), readout
    # relu - 1 >= 0: output k = x_{2k} & x_{2k+1} (by hand, as in and_net).
    m, F = 40, 3
    W = np.zeros((F, m), dtype=int)
    for k in range(F):
        W[k, 2 * k] = W[k, 2 * k + 1] = 1
    net = Network(W, -np.ones(F, dtype=int), np.eye(F, dtype=int), -np.ones(F, dtype=int))
    it = interpret(net, sparsity=3, config=InterpretConfig(enumeration_limit=1000))
    assert not it.enumerable and it.domain_size == sum(math.comb(40, t) for t in range(4))
    for k, o in enumerate(it.outputs):
        assert o["formula"].text() == f"x{2 * k} & x{2 * k + 1}"
        assert o["proofs"][0]["method"] == "sat" and o["proven"]
        assert o["claim"] == "proven equal on all 10701 inputs (SAT (DRUP proof checked))"


def test_extraction_failure_is_never_claimed():
    it = interpret(dnf_net(), config=InterpretConfig(max_evaluations=2))
    for o in it.outputs:
        assert o["formula"] is None and not o["proven"]
        assert "no formula extracted" in o["claim"]
    assert it.summary()["proven"] == 0


def test_wrong_formula_is_refuted_by_both_methods():
    net = collision_net()  # computes x0 & (x1 | x2)
    wrong = Formula(3, (Term((0, 1)),))  # x0 & x1: misses the point {0,2}
    for method in ("enumerate", "sat"):
        p = prove_formula(net, 0, wrong, None, method=method)
        assert p["status"] == "refuted"
        assert p["counterexamples"][0] == [0, 2]


def test_exact_forward_agrees_with_network():
    rng = np.random.default_rng(2)
    for depth in (1, 2, 3):
        Wh = tuple(rng.normal(size=(3, 3)) for _ in range(depth - 1))
        bh = tuple(rng.normal(size=3) for _ in range(depth - 1))
        net = Network(rng.normal(size=(3, 6)).astype(np.float32).astype(float), rng.normal(size=3), rng.normal(size=(2, 3)),
                      rng.normal(size=2), "relu", Wh, bh)
        d = Domain(6)
        Y, _ = _exact.forward(net, d.points)[-1]
        assert np.array_equal(np.asarray(Y >= 0, dtype=bool), net.outputs(d))


@pytest.mark.parametrize("bits", [3, 12, 40, 70])
def test_reified_pb_encoding_exact(bits):
    """The adder encoding (big integers) and Pindakaas (small) against brute force, both directions."""
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    rng = np.random.default_rng(bits)
    for _ in range(6):
        n = int(rng.integers(1, 7))
        c = [int(v) for v in rng.integers(-2**min(bits, 62), 2**min(bits, 62), size=n)]
        c = [v * (1 << max(0, bits - 62)) + 1 for v in c]
        K = int(rng.integers(-2**min(bits, 60), 2**min(bits, 60))) << max(0, bits - 60)
        pool = IDPool()
        x = [pool.id(("x", i)) for i in range(n)]
        cnf = _Cnf(pool)
        o = reified_geq(cnf, x, c, K)
        with Solver(name="glucose4", bootstrap_with=cnf.clauses) as sat:
            for bx in itertools.product([0, 1], repeat=n):
                truth = sum(ci for ci, b in zip(c, bx) if b) >= K
                ass = [xi if b else -xi for xi, b in zip(x, bx)]
                assert sat.solve(assumptions=ass + [o]) == truth
                assert sat.solve(assumptions=ass + [-o]) == (not truth)


def test_adder_matches_library_on_small_coefficients():
    from pysat.formula import IDPool
    from pysat.solvers import Solver

    rng = np.random.default_rng(11)
    for _ in range(10):
        n = int(rng.integers(1, 6))
        c = [int(v) for v in rng.integers(-20, 21, size=n)]
        K = int(rng.integers(-30, 31))
        pool = IDPool()
        x = [pool.id(("x", i)) for i in range(n)]
        L, C, KK = _normalise(x, c, K)
        if KK <= 0 or KK > sum(C):
            continue
        cnf = _Cnf(pool)
        a = _adder_geq(cnf, L, C, KK)
        b = reified_geq(cnf, x, c, K)  # small: the library encoding
        with Solver(name="glucose4", bootstrap_with=cnf.clauses) as sat:
            for bx in itertools.product([0, 1], repeat=n):
                ass = [xi if v else -xi for xi, v in zip(x, bx)]
                assert sat.solve(assumptions=ass + [a, -b]) is False
                assert sat.solve(assumptions=ass + [-a, b]) is False


# ---------------------------------------------------------------------------------------------
# formulas

def test_term_implication_and_dnf_by_hand():
    # on {x: |x| <= 2}: x0 & ~x1 is implied by x0 & x2 (the point {0,1,2} has 3 ones, outside the domain)
    t1, t2 = Term((0,), ((1,),)), Term((0, 2))
    assert t2.implies(t1, 2) and not t2.implies(t1, None)
    f = Formula(3, (t1, t2), 2).simplified()
    assert f.terms == (t1,)
    g = Formula(4, (Term((0,), ((1, 2), (3,))),))
    assert g.text() == "x0 & ~x3 & ~(x1 & x2)"
    assert g.dnf().text() == "x0 & ~x1 & ~x3 | x0 & ~x2 & ~x3"
    d = Domain(4)
    assert np.array_equal(g.evaluate(d.points), g.dnf().evaluate(d.points))
    assert Formula(2, ()).text() == "0" and Formula(2, (Term(()),)).text() == "1"


# ---------------------------------------------------------------------------------------------
# tau sweep and stability

def test_tau_stability_by_hand():
    # |weights| of W_in, b_in, W_out: 0.8, 0.9, 1.0 (bias), 0.6.  Unit: z = 0.8 x0 + 0.9 x1 - 1 > 0 only at
    # {0,1} (0.7; {0}: -0.2, {1}: -0.1).  y = 0.6 relu(z) - 0.3 >= 0 there (0.42).  So y = x0 & x1, channel {0}
    # while tau < min(0.6, 0.8, 0.9) = 0.6.  At tau = 0.2 the code is constant on [0, 0.6) (next |w| is 0.6) and
    # the channel on [0, 0.6); at tau = 0.6 the channel is empty, constant on [0.6, inf), the code on [0.6, 0.8).
    net = _net([[0.8, 0.9]], [-1.0], [[0.6]], [-0.3])
    it = interpret(net, config=InterpretConfig(tau=0.2, taus=(0.0, 0.59, 0.6, 0.85)))
    assert it.outputs[0]["formula"].text() == "x0 & x1"
    assert it.code["stable_code_interval"] == [0.0, 0.6]
    assert it.code["stable_channel_interval"] == [0.0, 0.6]
    assert it.outputs[0]["channel"] == [0]
    sweep = {r["tau"]: r for r in it.tau_sweep}
    assert sweep[0.59]["channels"] == [[0]] and sweep[0.59]["same_channels_as_chosen"]
    assert sweep[0.6]["channels"] == [[]] and not sweep[0.6]["same_channels_as_chosen"]
    assert sweep[0.85]["nnz_in"] == 1  # only 0.9 > 0.85
    it2 = interpret(net, config=InterpretConfig(tau=0.6))
    assert it2.outputs[0]["channel"] == []
    assert it2.code["stable_channel_interval"] == [0.6, None]  # None: unbounded
    assert it2.code["stable_code_interval"] == [0.6, 0.8]


def test_stability_interval_matches_cat_tau():
    from capacity.codes import cat_tau

    rng = np.random.default_rng(3)
    w = rng.normal(size=20)
    for tau in (0.0, 0.3, 0.77, 2.5):
        lo, hi = stability_interval(np.abs(w), tau)
        ref = cat_tau(w, tau)
        assert np.array_equal(cat_tau(w, lo), ref)
        if math.isfinite(hi):
            assert np.array_equal(cat_tau(w, np.nextafter(hi, 0)), ref) and not np.array_equal(cat_tau(w, hi), ref)
        if lo > 0:
            assert not np.array_equal(cat_tau(w, np.nextafter(lo, 0)), ref)


# ---------------------------------------------------------------------------------------------
# deeper networks: cascading disentanglement

def test_cascade_boolean_chain_two_layers():
    # layer 1: u0 = relu(x0 + x1 - 1) = [x0 & x1], u1 = relu(x2 + x3 - 1) = [x2 & x3] (values 0/1: Boolean-exact)
    # layer 2: v0 = relu(u0 - u1) = [u0 & ~u1], v1 = relu(u0 + u1 - 1) = [u0 & u1]
    # outputs: y0 = v0 + v1 - 0.5 >= 0 = v0 | v1 (= x0 & x1), y1 = v1 - 0.5 >= 0 = v1 (= x0 & x1 & x2 & x3)
    net = _net([[1, 1, 0, 0], [0, 0, 1, 1]], [-1, -1], [[1.0, 1.0], [0.0, 1.0]], [-0.5, -0.5],
               Wh=([[1, -1], [1, 1]],), bh=([0, -1],))
    it = interpret(net)
    cz = it.cascade
    assert cz["verified"] and cz["claim"] == "chain verified on all 16 inputs"
    forms = [[u["formula"] for u in lay["units"]] for lay in cz["layers"]]
    assert forms == [["x0 & x1", "x2 & x3"], ["h1_0 & ~h1_1", "h1_0 & h1_1"], ["h2_0 | h2_1", "h2_1"]]
    assert [u["over"] for u in cz["layers"][1]["units"]] == ["layer 1 features"] * 2
    assert [o["formula"].text() for o in it.outputs] == ["x0 & x1", "x0 & x1 & x2 & x3"]


def test_cascade_three_step_layers():
    # step units: a = [x0 + x1 - 2 >= 0], b = [x2 - 1 >= 0], c = [-x3 >= 0]  (x0&x1, x2, ~x3)
    # d = [a + b - 1 >= 0] (a|b), e = [c - 1 >= 0] (c);  g = [d + e - 2 >= 0] (d&e);  y = g - 1 >= 0.
    net = _net([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, -1]], [-2, -1, 0], [[1]], [-1], act="step",
               Wh=([[1, 1, 0], [0, 0, 1]], [[1, 1]]), bh=([-1, -1], [-2]))
    it = interpret(net, config=InterpretConfig(method="enumerate"))
    d = Domain(4)
    assert it.cascade["verified"]
    forms = [[u["formula"] for u in lay["units"]] for lay in it.cascade["layers"]]
    assert forms == [["x0 & x1", "x2", "~x3"], ["h1_0 | h1_1", "h1_2"], ["h2_0 & h2_1"], ["h3_0"]]
    assert np.array_equal(it.outputs[0]["formula"].evaluate(d.points), _table(d, "(x0 & x1 | x2) & ~x3"))


def test_cascade_says_when_not_boolean():
    # u0 = relu(x0 + x1) takes the values 1 and 2: not Boolean-exact, so layer 2 is expressed over the inputs.
    net = _net([[1, 1]], [0], [[1.0]], [-1.5], Wh=([[1]],), bh=([0],))
    it = interpret(net)
    lay1, lay2 = it.cascade["layers"][0], it.cascade["layers"][1]
    assert lay1["units"][0]["boolean_exact"] is False
    assert lay2["units"][0]["over"] == "inputs" and "not an exact Boolean summary" in lay2["units"][0]["not_boolean"]
    assert it.cascade["verified"]
    assert it.outputs[0]["formula"].text() == "x0 & x1"  # y = relu(relu(x0 + x1)) - 1.5 >= 0


# ---------------------------------------------------------------------------------------------
# a trained network

def test_trained_network_is_interpreted_exactly():
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    d = Domain(4, 3)
    target = formulas(d, ["x0 & x1", "x2 & x3"])
    X = torch.tensor(d.points, dtype=torch.float32)
    Y = torch.tensor(target.bits.T, dtype=torch.float32)
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    try:
        for _ in range(600):
            opt.zero_grad()
            torch.nn.functional.binary_cross_entropy_with_logits(model(X), Y).backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    from capacity.torch_io import load_model

    net = load_model(model)
    it = interpret(net, sparsity=3, targets=target, config=InterpretConfig(method="both"))
    out = net.outputs(d)
    for f, o in enumerate(it.outputs):
        assert o["proven"]
        assert np.array_equal(o["formula"].evaluate(d.points), out[:, f])
        e = o["errors"]
        assert e["confirmed"]
        assert e["actual_count"] == int(np.sum(out[:, f] != target.bits[f]))


# ---------------------------------------------------------------------------------------------
# bad input

def test_bad_arguments():
    with pytest.raises(CapacityError):
        interpret(and_net(), inputs=4)
    with pytest.raises(CapacityError):
        interpret(and_net(), sparsity=5)
    with pytest.raises(CapacityError):
        InterpretConfig(tau=-0.1)
    with pytest.raises(CapacityError):
        InterpretConfig(method="magic")
    with pytest.raises(CapacityError):
        interpret(and_net(), targets=formulas(Domain(3), ["x0", "x1"]))  # two targets, one output
    with pytest.raises(CapacityError):
        interpret(and_net(), sparsity=2, config=InterpretConfig(method="enumerate", enumeration_limit=3))


# ---------------------------------------------------------------------------------------------
# cross-check hook

def test_crosscheck_own_witness():
    from capacity.interpret import crosscheck_code, front_door_available

    r = crosscheck_code(and_net(), domain=Domain(3))
    assert r["own_witness"] is True  # the network carries exactly its own code's signs at tau = 0
    if not front_door_available():
        assert r["available"] is False
        pytest.skip("capacity.solvers.representable is not available yet")
    assert r["status"] == "REPRESENTABLE" and r["agree"]


# ---------------------------------------------------------------------------------------------
# CLI

def test_cli_writes_three_files(tmp_path, capsys):
    path = collision_net().save(tmp_path / "net.npz")
    out = tmp_path / "rep"
    rc = main(["interpret", str(path), "--features", "x0 & x1; x0 & x2", "--out", str(out), "--no-progress",
               "--method", "both"])
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["code.png", "report.json", "report.md"]
    rep = json.loads((out / "report.json").read_text())
    assert rep["outputs"][0]["formula"]["text"] == "x0 & x1 | x0 & x2"
    assert rep["outputs"][0]["errors"]["predicted"] == [[0, 2]]
    assert (out / "code.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "proven equal on all 8 inputs" in (out / "report.md").read_text()
    assert "proven equal on all 8 inputs" in capsys.readouterr().out


def test_cli_json_stdout(tmp_path, capsys):
    path = dnf_net().save(tmp_path / "net.npz")
    assert main(["interpret", str(path), "--json", "--no-progress", "--sparsity", "2"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["domain"] == {"inputs": 4, "sparsity": 2, "size": 11, "enumerable": True}
    assert [o["formula"]["text"] for o in rep["outputs"]] == ["x0 & x1 | x2 & x3", "x2 & x3"]


def test_cli_errors_one_line(tmp_path, capsys):
    path = and_net().save(tmp_path / "net.npz")
    with pytest.raises(SystemExit) as exc:
        main(["interpret", str(path), "--tau", "-1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "tau" in err
    assert main(["interpret", str(tmp_path / "missing.npz")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "does not exist" in err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    assert main(["interpret", str(bad)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["interpret", str(path), "--inputs", "5"]) == 2
    assert main(["interpret", str(path), "--features", "x0; x1"]) == 2


def test_cli_all_or_nothing(tmp_path, monkeypatch):
    from capacity.interpret import plot

    def boom(*a, **k):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(plot, "plot_code", boom)
    path = and_net().save(tmp_path / "net.npz")
    out = tmp_path / "rep"
    assert main(["interpret", str(path), "--out", str(out), "--no-progress"]) == 1
    assert not out.exists() or list(out.iterdir()) == []
