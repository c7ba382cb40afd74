"""Width-2 ReLU enumeration: the level-set filter, the prefix test, the input-permutation orbits of ReLU
units and the target-by-target readout test, each against a separately written brute force and against the
plain-Python twins of the kernels."""

from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import capacity.enumeration as E
from capacity import Domain, FeatureSet, Problem, from_spec
from capacity._kernels import KERNELS, TWINS, _levels_ok
from capacity.network import Network
from capacity.solvers import enumerate as en
from capacity.solvers import front, sat
from capacity.solvers.problem import Status, verify_witness

DOMAINS = [Domain(3), Domain(4, 2), Domain(3, 2)]


def _units(domain, K):
    K_in, _ = E.integer_class(domain.m, 2, 1, "relu", K, None)
    sl = E._slots(domain, 2, "relu", K_in, False, None, None, KERNELS, False)
    return sl.rows.astype(np.int64)


def _readouts_of(H, bits, K):
    """Brute force: for each feature, whether some integer readout ``v`` in ``[-K, K]^k`` with a free bias
    gives ``y >= 0`` exactly on its points (integer margin), for hidden values ``H`` (points x units)."""
    ok = np.zeros(len(bits), bool)
    for v in product(range(-K, K + 1), repeat=H.shape[1]):
        y = H @ np.array(v)
        for f, on in enumerate(bits):
            if not on.any() or not (~on).any() or y[on].min() > y[~on].max():
                ok[f] = True
    return ok


def _pairs_ok(V, bits, K):
    """Brute force over all unit pairs at once: ``ok[a, b]`` when units ``a, b`` (rows of ``V``) with some
    readout per feature compute every feature (``_readouts_of`` for every pair, vectorised)."""
    U = len(V)
    done = np.zeros((len(bits), U, U), bool)
    for v0, v1 in product(range(-K, K + 1), repeat=2):
        y = v0 * V[:, None, :] + v1 * V[None, :, :]  # (U, U, N)
        for f, on in enumerate(bits):
            if not on.any() or not (~on).any():
                done[f] = True
            else:
                done[f] |= y[:, :, on].min(axis=2) > y[:, :, ~on].max(axis=2)
    return done.all(axis=0)


def _problem(seed):
    """A small width-2 ReLU problem: features of a random network of the class (so positives are common)
    or random truth tables; K = 2 only on the 3-input domains (the brute force lists all unit pairs)."""
    rng = np.random.default_rng(seed)
    d = DOMAINS[seed % len(DOMAINS)]
    K = int(rng.integers(1, 3)) if d.m == 3 else 1
    if rng.random() < 0.6:
        net = Network(rng.integers(-K, K + 1, (2, d.m)), rng.integers(-2, 3, 2), rng.integers(-K, K + 1, (3, 2)),
                      rng.integers(-3, 4, 3), "relu")
        bits = net.outputs(d).T.astype(bool)
    else:
        bits = rng.random((int(rng.integers(1, 4)), d.size)) < 0.5
    return Problem(FeatureSet.from_bits(d, bits), 2, "relu", K)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_filter_keeps_every_unit_of_every_width_two_solution(seed):
    p = _problem(seed)
    V, bits = _units(p.domain, p.weight_bound), p.features.bits.astype(bool)
    keep = KERNELS["pair_level_filter"](V.astype(np.uint64), p.features.tables)
    ok = _pairs_ok(V, bits, p.weight_bound)
    a, b = np.nonzero(ok)
    assert keep[a].all() and keep[b].all()
    # and the enumeration (filter, orbits, target-by-target test) answers what the brute force over pairs says
    r = en.solve(p)
    assert (r.status is Status.REPRESENTABLE) == bool(ok.any())
    if ok.any():
        assert verify_witness(p, r.witness)[0]


def test_filter_rejects_something_and_is_the_twin():
    rng = np.random.default_rng(0)
    for d, spec in ((Domain(4, 2), "pairs"), (Domain(5, 2), "pairs"), (Domain(3), "parity; pairs")):
        fs = from_spec(d, spec)
        V = _units(d, 2).astype(np.uint64)
        keep = KERNELS["pair_level_filter"](V, fs.tables)
        sample = rng.choice(len(V), min(len(V), 400), replace=False)
        assert np.array_equal(TWINS["pair_level_filter"](V[sample], fs.tables), keep[sample])
        assert 0 < keep.sum() < len(V) or spec != "pairs"


def test_prefix_test_keeps_every_pair_of_every_width_three_solution():
    """``_levels_ok`` on two units: every pair of units inside a width-3 solution (all triples of units
    brute-forced, features of random width-3 networks on 3 inputs, K = 1) passes; and it does reject pairs."""
    d = Domain(3)
    V = _units(d, 1)
    U = len(V)
    rng = np.random.default_rng(2)
    rejected = solved = 0
    for _ in range(6):
        net = Network(rng.integers(-1, 2, (3, 3)), rng.integers(-1, 2, 3), rng.integers(-1, 2, (4, 3)),
                      rng.integers(-2, 3, 4), "relu")
        fs = FeatureSet.from_bits(d, net.outputs(d).T.astype(bool))
        bits = fs.bits.astype(bool)
        done = np.zeros((len(bits), U, U, U), bool)
        for v in product(range(-1, 2), repeat=3):
            y = v[0] * V[:, None, None, :] + v[1] * V[None, :, None, :] + v[2] * V[None, None, :, :]
            for f, on in enumerate(bits):
                if not on.any() or not (~on).any():
                    done[f] = True
                else:
                    done[f] |= y[..., on].min(axis=-1) > y[..., ~on].max(axis=-1)
        ok = done.all(axis=0)
        passes = np.array([[_levels_ok(V.astype(np.uint64), np.array([i, j]), 2, fs.tables) for j in range(U)]
                           for i in range(U)])
        a, b, c = np.nonzero(ok)
        assert passes[a, b].all() and passes[a, c].all() and passes[b, c].all()
        rejected += int((~passes).sum())
        solved += len(a)
    assert solved > 0 and rejected > 0


@pytest.mark.parametrize("domain", [Domain(3), Domain(4, 2), Domain(5, 2)])
def test_relu_orbit_leaders_one_per_orbit(domain):
    """Leaders of ``_value_orbit_blocks``: exactly one per orbit, the orbits computed here with Python sets
    over the input permutations of the value vectors; the blocks are a permutation of the units."""
    K_in, _ = E.integer_class(domain.m, 1, 1, "relu", 1, None)
    sl = E._slots(domain, 1, "relu", K_in, False, None, None, KERNELS, False)
    new, starts = en._value_orbit_blocks(domain, sl, KERNELS)
    assert sorted(map(bytes, new.rows)) == sorted(map(bytes, sl.rows))
    perms = E.point_permutations(domain, False)
    orbit = {}
    for row in sl.rows:
        key = min(tuple(row[g]) for g in perms)
        orbit.setdefault(key, set()).add(tuple(row))
    leaders = [tuple(new.rows[s]) for s in starts]
    assert len(leaders) == len(orbit) and {min(o) for o in orbit.values()} == set(leaders)
    ends = starts[1:] + [len(new.rows)]
    for s, e in zip(starts, ends):  # each block is one orbit
        block = {tuple(r) for r in new.rows[s:e]}
        assert block == orbit[min(block)]
    V = sl.rows[:50]
    assert np.array_equal(KERNELS["canonical_values"](V, perms), TWINS["canonical_values"](V, perms))


def test_first_hit_path_is_the_sorting_path():
    """Mode 1 (target by target, stopping at the first target no readout cuts out) finds the same first
    combination and readouts as mode 2 (every cut of every readout, sorted), kernel and twin alike."""
    twins = 0
    for seed in range(12):
        p = _problem(seed)
        K_in, K_out = E.integer_class(p.domain.m, 2, p.n_features, "relu", p.weight_bound, None)
        sl = E._slots(p.domain, 2, "relu", K_in, False, None, None, KERNELS, False)
        R = E._readouts_relu(2, K_out, False, None, "sign")
        F = p.n_features
        args = (sl.rows, sl.first, sl.last, sl.tie, np.arange(sl.first[0], sl.last[0]).reshape(-1, 1), R,
                p.domain.words, p.features.tables, np.zeros(F, np.int64), np.full(F, len(R)))
        with np.errstate(over="ignore"):
            one = KERNELS["combos_relu"](*args, 1, np.zeros(1, np.int8))[1]
            two = KERNELS["combos_relu"](*args, 2, np.zeros(1, np.int8))[1]
            if p.weight_bound == 1 and p.domain.m == 3:  # the twin is plain Python: the small classes only
                assert np.array_equal(one, TWINS["combos_relu"](*args, 1, np.zeros(1, np.int8))[1])
                twins += 1
        if two[-1] == F:
            assert np.array_equal(one, two[:-1])
        else:
            assert len(one) == 0
    assert twins >= 2


def test_auto_enumerates_relu_uand_weight_bound_three():
    """ReLU U-AND with K = 3 needs 3 units on 5 and 6 inputs (n* = 3; the width-2 refutation of m = 5 is also
    a checked LRAT proof, the slow ``test_relu_uand_weight_bound_three_needs_three_units`` in test_engine.py);
    auto now decides width 2 by enumeration (a pair count far below the limit) and the ladder within seconds."""
    for m in (5, 6):
        fs = from_spec(Domain(m, 2), "pairs")
        p = Problem(fs, 2, "relu", 3)
        assert front.choose_method(p) == "enumerate"
        assert en.pair_count(p) <= front.ENUMERATE_PAIR_LIMIT
    r = front.min_width(from_spec(Domain(5, 2), "pairs"), activation="relu", weight_bound=3)
    assert r.proven and r.min_width == 3 and r.steps[1]["certificate_kind"] == "enumeration"


@pytest.mark.slow
def test_enumeration_and_sat_agree_on_relu_uand_width_two():
    """The checked SAT refutation (LRAT) and the enumeration agree on ReLU U-AND, width 2, m = 5, K = 3
    and K = 2, and on the witness side at m = 4, K = 3."""
    for m, K in ((5, 3), (5, 2), (4, 3)):
        p = Problem(from_spec(Domain(m, 2), "pairs"), 2, "relu", K)
        a, b = en.solve(p), sat.solve(p)
        assert a.status is b.status
        if b.status is Status.NOT_REPRESENTABLE:
            assert b.certificate.checked and a.certificate.kind == "enumeration"
