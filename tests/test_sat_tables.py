"""Step units by prime implicates (``sat.encode(tables=True)``): the clauses defining ``h <-> z >= 0`` from the
weight and bias bits are checked against the relation by brute force over every assignment, for propagation
(the bits that fix ``z``'s sign fix ``h``), and, network by network, the CNF keeps the same hidden layers as the
PB encoding."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.solvers import Solver

from capacity import Domain, FeatureSet, Problem
from capacity.solvers import enumerate as en
from capacity.solvers import sat
from capacity.solvers.problem import Status


@st.composite
def keys(draw):
    """Up to three integers ``(lo, hi, count)`` with at most 8 bits in all."""
    out, used = [], 0
    for _ in range(draw(st.integers(1, 3))):
        lo = draw(st.integers(-4, 2))
        hi = draw(st.integers(lo, lo + 5))
        nb = (hi - lo).bit_length()
        if used + nb > 8:
            break
        used += nb
        out.append((lo, hi, draw(st.integers(1, 2))))
    return tuple(out)


def relation(key):
    """Every assignment of the bits (first integer's least significant bit first) and ``h`` (last): whether it
    is in range, and whether ``h`` equals ``sum count * value >= 0``."""
    k = sum((hi - lo).bit_length() for lo, hi, _ in key) + 1
    for bits in itertools.product((0, 1), repeat=k):
        total, ok, at = 0, True, 0
        for lo, hi, c in key:
            nb = (hi - lo).bit_length()
            v = lo + sum(bits[at + t] << t for t in range(nb))
            ok &= v <= hi
            total += c * v
            at += nb
        yield bits, ok, bool(bits[-1]) == (total >= 0)


def holds(clauses, bits) -> bool:
    return all(any(bool(bits[i]) == pos for i, pos in c) for c in clauses)


@settings(max_examples=60, deadline=None)
@given(keys())
def test_implicates_are_the_relation(key):
    clauses = sat._step_implicates(key)
    k = sum((hi - lo).bit_length() for lo, hi, _ in key) + 1
    assert clauses and all(any(i == k - 1 for i, _ in c) for c in clauses)
    for bits, in_range, right in relation(key):
        if in_range:
            assert holds(clauses, bits) == right, (key, bits)
    for c in clauses:  # prime: dropping any literal keeps a clause some in-range, right assignment breaks
        for drop in range(len(c)):
            shorter = c[:drop] + c[drop + 1:]
            assert any(ok and right and not holds([shorter], bits) for bits, ok, right in relation(key))


@settings(max_examples=40, deadline=None)
@given(keys(), st.data())
def test_bits_that_fix_the_sign_propagate_h(key, data):
    k = sum((hi - lo).bit_length() for lo, hi, _ in key) + 1
    clauses = [[(i + 1) if pos else -(i + 1) for i, pos in c] for c in sat._step_implicates(key)]
    rows = [(bits, right) for bits, ok, right in relation(key) if ok]
    known = data.draw(st.lists(st.integers(0, k - 2), unique=True, max_size=k - 1)) if k > 1 else []
    base = data.draw(st.sampled_from([b for b, right in rows if right]))
    fixed = {i: base[i] for i in known}
    hs = {b[-1] for b, right in rows if right and all(b[i] == v for i, v in fixed.items())}
    with Solver(name="minisat22", bootstrap_with=clauses) as s:
        ok, implied = s.propagate(assumptions=[(i + 1) if v else -(i + 1) for i, v in fixed.items()])
    assert ok
    implied = set(implied) | {c[0] for c in clauses if len(c) == 1}  # facts, not returned by propagate
    if len(hs) == 1:  # the relation fixes h: unit propagation finds it
        h = hs.pop()
        assert (k if h else -k) in implied, (key, fixed)


def hidden_layers(problem, tables):
    """Every model of the symmetry-broken CNF projected onto ``(W_in, b_in)``."""
    clauses, decode, _ = sat.encode(problem, True, dominance="both", counting=3, first_rows=True, tables=tables)
    key = lambda net: net.W_in.tobytes() + net.b_in.tobytes()  # noqa: E731
    out = set()
    with Solver(name="cadical153", bootstrap_with=clauses) as s:
        proj = None
        while s.solve():
            model = s.get_model()
            if proj is None:  # the variables whose flip changes the layer: the weight and bias bits
                proj = [v for v in range(1, len(model) + 1)
                        if key(decode([-x if x in (v, -v) else x for x in model])) != key(decode(model))]
            out.add(key(decode(model)))
            assert len(out) <= 5000, "class too large for this test"
            s.add_clause([-model[v - 1] for v in proj])
    return out


@st.composite
def step_problems(draw, max_features):
    """Step problems on 3 or 4 inputs, width 1-3, up to ``max_features`` non-constant features."""
    domain = draw(st.sampled_from([Domain(3), Domain(3, 2), Domain(4, 2)]))
    rows = draw(st.lists(st.lists(st.booleans(), min_size=domain.size, max_size=domain.size)
                         .filter(lambda r: 0 < sum(r) < len(r)), min_size=1, max_size=max_features))
    return Problem(FeatureSet.from_bits(domain, np.array(rows, dtype=bool)), draw(st.integers(1, 3)), "step", 1)


@settings(max_examples=15, deadline=None)
@given(step_problems(3))
def test_same_hidden_layers_as_pb(problem):
    assert hidden_layers(problem, True) == hidden_layers(problem, False)


@settings(max_examples=20, deadline=None)
@given(step_problems(4))
def test_answers_equal_the_enumeration(problem):
    got = sat.solve(problem, symmetric_search=False)
    assert got.info["step_tables"] > 0
    assert got.status == en.solve(problem).status != Status.UNKNOWN


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6])
def test_unary_counts_both_ways(k):
    """``_Encoder.unary``: on every assignment of ``k`` inputs, unit propagation alone sets ``u_t`` to
    ``[at least t inputs true]``."""
    enc = sat._Encoder()
    lits = [enc.var(("x", i)) for i in range(k)]
    out = enc.unary(lits)
    assert len(out) == k
    with Solver(name="minisat22", bootstrap_with=enc.clauses) as s:
        for bits in itertools.product((0, 1), repeat=k):
            ok, implied = s.propagate(assumptions=[x if b else -x for x, b in zip(lits, bits)])
            assert ok
            for t, u in enumerate(out, start=1):
                assert (u if sum(bits) >= t else -u) in implied, (bits, t)
