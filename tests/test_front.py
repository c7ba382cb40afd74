"""Front doors: representable, min_width, capacity, representable_set -- checked against independent
oracles (brute force over subsets with the reference method, hand-derived answers) and for their contracts
(certificates always checked, UNKNOWN on time-outs)."""

import time
from itertools import combinations

import numpy as np
import pytest

from capacity import Code, Domain, FeatureSet, Problem, Status, capacity, from_spec, min_width, representable, representable_set
from capacity.errors import CapacityError
from capacity.solvers import reference, verify_witness


@pytest.mark.parametrize("method", ["auto", "enumerate", "sat", "cpsat", "milp", "reference"])
def test_xor_min_width_is_two(method):
    r = min_width(from_spec(Domain(2), "x0 ^ x1"), activation="relu", weight_bound=1, method=method)
    assert r.min_width == 2 and r.proven and r.certificate.checked
    assert verify_witness(Problem(from_spec(Domain(2), "x0 ^ x1"), 2, "relu", 1), r.witness)[0]


@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_unchecked_infeasibility_is_confirmed_by_a_second_method(method):
    r = representable(Problem(from_spec(Domain(2), "x0 ^ x1"), 1, "step", 1), method)
    assert r.status is Status.NOT_REPRESENTABLE
    assert r.certificate.kind == "agreement" and r.certificate.checked and "+" in r.method


def test_min_width_parity_step():
    # hand proof for k = 3: two hyperplanes cut at most 6 + 6 edges of the 3-cube, and the only hyperplanes
    # cutting 6 edges separate the middle layers, which leaves 000-111's edges uncut by a second one.
    for k, want in ((2, 2), (3, 3)):
        r = min_width(from_spec(Domain(k), "parity"), activation="step", weight_bound=None)
        assert r.min_width == want and r.proven


def test_min_width_time_limit_gives_unknown():
    r = min_width(from_spec(Domain(6, 2), "pairs"), activation="relu", weight_bound=1, method="cpsat",
                  time_limit=0.5)
    assert r.status == "UNKNOWN" and r.min_width is None and r.lower >= 1


def test_time_limit_bounds_the_whole_min_width_call():
    """ReLU U-AND on 7 inputs, K = 2, is not decided in 5 s (widths 1, 2 are refuted in about a second, width 3
    is open after CP-SAT's budget): auto (enumeration, CP-SAT, the restriction, SAT and its proof check)
    returns UNKNOWN within the limit + 2 s."""
    fs = from_spec(Domain(7, 2), "pairs")
    t0 = time.perf_counter()
    r = min_width(fs, activation="relu", weight_bound=2, time_limit=5)
    assert time.perf_counter() - t0 <= 7
    assert r.status == "UNKNOWN" and r.min_width is None


def test_representable_time_limit_gives_unknown():
    p = Problem(from_spec(Domain(6, 2), "pairs"), 3, "relu", 2)
    assert representable(p, "sat", time_limit=0.2).status is Status.UNKNOWN


def _brute_capacity(family, n, act, K):
    """Oracle: the largest subset the reference brute force can compute, by trying every subset."""
    best = ()
    for size in range(len(family), 0, -1):
        for idx in combinations(range(len(family)), size):
            p = Problem(family.select(list(idx)), n, act, K)
            if reference.solve(p).status is Status.REPRESENTABLE:
                return idx
    return best


@pytest.mark.parametrize("spec,n,act", [("pairs; x0 ^ x1", 1, "step"), ("x0 ^ x1; x0 ^ x2; x1 & x2", 2, "relu"),
                                        ("pairs; parity", 2, "step")])
@pytest.mark.parametrize("method", ["enumerate", "sat"])
def test_capacity_matches_brute_force_over_subsets(spec, n, act, method):
    family = from_spec(Domain(3), spec)
    want = _brute_capacity(family, n, act, 1)
    got = capacity(family, n, activation=act, weight_bound=1, method=method)
    assert got.proven and got.size == len(want)
    sub = Problem(family.select(list(got.chosen)), n, act, 1)
    assert verify_witness(sub, got.witness)[0]


def test_representable_set_of_a_code_matches_reference_functions():
    d = Domain(3)
    code = Code(np.array([[1, 1, 0], [0, 1, -1]]))
    family = from_spec(d, "all")
    rs = representable_set(code, family, activation="relu", weight_bound=1)
    oracle = reference.functions(d, 2, "relu", 1, code=code)
    want = np.array([int(row[0]) in oracle for row in family.tables])
    assert (rs.mask == want).all() and 0 < rs.count < len(family)
    assert rs.parameter_size == code.parameter_size(1)
    # per-feature decisions with another method agree on a sample
    sample = family.select(list(range(0, 256, 37)))
    rs2 = representable_set(code, sample, activation="relu", weight_bound=1, method="sat")
    assert (rs2.mask == want[::37]).all()


def test_front_door_errors():
    f = from_spec(Domain(2), "x0")
    with pytest.raises(CapacityError):
        representable(Problem(f, 1, "relu", 1), "magic")
    with pytest.raises(CapacityError):
        Problem(f, 0, "relu", 1)
    with pytest.raises(CapacityError):
        Problem(FeatureSet(Domain(2), np.zeros((0, 1), np.uint64), ()), 1, "relu", 1)
    with pytest.raises(CapacityError):
        Problem(f, 1, "relu", 1, code=Code(np.array([[1, -1]])), nonnegative=True)


def test_time_limit_holds_while_auto_counts_unit_pairs():
    """Choosing the method of a width-2 ReLU class lists its units (about 3 s for 6 inputs, K = 3, on the
    machine this was written on); a time limit below that still bounds the call, and the choice, once made
    without a limit, is enumeration either way."""
    from capacity.solvers import enumerate as en
    from capacity.solvers.front import choose_method

    p = Problem(from_spec(Domain(6, 2), "pairs"), 2, "relu", 3)
    en._PREPARED.clear()
    t0 = time.perf_counter()
    r = representable(p, time_limit=0.3)
    assert time.perf_counter() - t0 <= 0.3 + 2.0
    assert r.status in (Status.UNKNOWN, Status.NOT_REPRESENTABLE)
    assert representable(p).status is Status.NOT_REPRESENTABLE and choose_method(p) == "enumerate"
