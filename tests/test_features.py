import itertools
from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.domain import Domain
from capacity.errors import CapacityError, FormulaError, SpecError
from capacity.features import (
    all_functions,
    formulas,
    from_spec,
    k_ands,
    majority,
    parity,
    parse_formula,
    random_cnf,
    random_dnf,
    threshold,
)


def _tree(m):
    leaf = st.one_of(st.integers(0, m - 1).map(lambda i: f"x{i}"), st.sampled_from(["0", "1"]))
    return st.recursive(
        leaf,
        lambda sub: st.one_of(
            sub.map(lambda a: f"~{a}"),
            st.tuples(sub, st.sampled_from(["&", "|", "^"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        ),
        max_leaves=8,
    )


@given(st.integers(1, 4).flatmap(lambda m: st.tuples(st.just(m), _tree(m))))
def test_formula_matches_python_eval(case):
    """Oracle: Python's own evaluation of the same expression (same precedence: ~ & ^ |)."""
    m, text = case
    d = Domain(m)
    got = d.unpack(parse_formula(text, d))
    for j, x in enumerate(d.points.tolist()):
        # Python's ~ & ^ | on ints have our precedence, and act bitwise: the low bit is the Boolean value
        val = eval(text, {}, {f"x{i}": int(x[i]) for i in range(m)}) & 1
        assert got[j] == bool(val), (text, x)


def test_precedence():
    d = Domain(3)
    a = d.unpack(parse_formula("x0 | x1 & x2", d))
    b = d.unpack(parse_formula("x0 | (x1 & x2)", d))
    c = d.unpack(parse_formula("(x0 | x1) & x2", d))
    assert (a == b).all() and not (a == c).all()


@pytest.mark.parametrize("bad", ["x0 &&", "x0 &", "(x0", "x0)", "x0 x1", "", "x9", "y0", "x0 + x1"])
def test_bad_formulas(bad):
    with pytest.raises(FormulaError):
        parse_formula(bad, Domain(3))


def test_k_ands_all_and_random():
    d = Domain(5, 2)
    fs = k_ands(d, 2)
    assert len(fs) == comb(5, 2) and fs.names[0] == "x0 & x1"
    # each pairwise AND on a 2-sparse domain is true on exactly one point
    assert (fs.bits.sum(axis=1) == 1).all()
    r1, r2 = k_ands(d, 2, n=4, seed=3), k_ands(d, 2, n=4, seed=3)
    assert r1.names == r2.names and len(set(r1.names)) == 4
    with pytest.raises(SpecError):
        k_ands(d, 2, n=11)
    with pytest.raises(SpecError):
        k_ands(d, 6)


def test_named_families_semantics():
    d = Domain(4)
    X = d.points.astype(int)
    assert (parity(d).bits[0] == (X.sum(1) % 2 == 1)).all()
    assert (majority(d).bits[0] == (X.sum(1) >= 2)).all()
    assert (threshold(d, [1, 2, 0, -1], 2).bits[0] == (X @ [1, 2, 0, -1] >= 2)).all()
    assert len(all_functions(Domain(2))) == 16
    with pytest.raises(CapacityError):
        all_functions(Domain(5))


def test_random_dnf_cnf_reproducible_and_consistent():
    d = Domain(5)
    a, b = random_dnf(d, 3, 2, n=3, seed=7), random_dnf(d, 3, 2, n=3, seed=7)
    assert a.names == b.names and (a.tables == b.tables).all()
    assert random_dnf(d, 3, 2, n=3, seed=8).names != a.names
    # the stored table is the formula's own evaluation
    assert (formulas(d, list(a.names)).tables == a.tables).all()
    c = random_cnf(d, 2, 3, n=2, seed=1, negations=0.0)
    assert "~" not in "".join(c.names)
    # a CNF is the negation of the DNF of its negated clauses: check one by brute force
    name = c.names[0]
    for x in itertools.product((0, 1), repeat=5):
        env = {f"x{i}": x[i] for i in range(5)}
        want = all(any(env[lit.strip(" ()")] for lit in cl.split("|")) for cl in name.split("&"))
        assert c.bits[0][d.index(x)] == want


def test_spec():
    d = Domain(4, 2)
    fs = from_spec(d, "pairs; x0 ^ x1; parity; ands:k=2,n=2,seed=1; dnf:clauses=2,width=2,n=2")
    assert len(fs) == 6 + 1 + 1 + 2 + 2
    for bad in ["", ";", "foo", "ands:q=1", "ands:k=x", "dnf:clauses=0"]:
        with pytest.raises(CapacityError):
            from_spec(d, bad)
    assert np.array_equal(from_spec(d, "uand").tables, from_spec(d, "pairs").tables)
