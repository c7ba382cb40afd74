"""Counting at the frontier: size guards, the count API and CLI, multi-unit counts checked by a second method,
and the structure of threshold-function counts against published sequences."""

import functools
import json
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity import Domain
from capacity.cli import main
from capacity.enumeration import count, enumerate_functions, muroga_bound, predict_work
from capacity.errors import CapacityError

# OEIS A000609: threshold functions of n or fewer variables (an independent published oracle).
A000609 = [2, 4, 14, 104, 1882, 94572, 15028134]


# ---------------------------------------------------------------------------------------------
# memory and size guards


def test_huge_domain_is_refused_by_predicted_memory():
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(20), 1, "step", None)


def test_huge_scan_is_refused_by_predicted_work():
    with pytest.raises(CapacityError, match="MAX_EVALUATIONS"):
        count(Domain(20), 2, "step", 1)


def test_limits_are_arguments():
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(4), 1, "step", 3, max_bytes=1000)
    with pytest.raises(CapacityError, match="MAX_EVALUATIONS"):
        count(Domain(4), 1, "step", 3, max_evaluations=10)


def test_huge_weight_bound_is_exact_where_muroga_applies_and_refused_elsewhere():
    # a box past Muroga's bound represents exactly the real-weight class (proofs/check_weight_bound.py)
    for act in ("step", "relu"):
        res = count(Domain(4), 1, act, 10**12)
        assert res.count == A000609[4] and res.weight_bound_used == muroga_bound(4)
    assert count(Domain(3), 2, "step", 10**12).count == count(Domain(3), 2, "step", None).count
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(3), 2, "relu", 10**12)


@pytest.mark.parametrize("args", [(Domain(3), 1, "step", 2), (Domain(3, 2), 1, "relu", 2), (Domain(2), 2, "relu", 1),
                                  (Domain(2), 2, "step", 1)])
def test_predicted_memory_is_a_lower_bound(args):
    """The plain-Python backend allocates with numpy, which tracemalloc sees: the peak must reach the
    prediction (a lower bound), or the guard could refuse counts that fit."""
    pred = predict_work(*args, tables=True, threads=1)
    tracemalloc.start()
    enumerate_functions(*args, backend="python", threads=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert pred["bytes"] <= peak


@pytest.mark.parametrize("argv,needle", [
    (["--inputs", "20", "--hidden", "1", "--activation", "step", "--real"], "MAX_COUNT_BYTES"),
    (["--inputs", "3", "--hidden", "2", "--activation", "relu", "--weight-bound", str(10**12)], "MAX_COUNT_BYTES"),
    (["--inputs", "20", "--hidden", "2", "--activation", "step", "--weight-bound", "1"], "MAX_EVALUATIONS"),
    (["--inputs", "5", "--hidden", "2", "--activation", "step", "--real", "--method", "generation"],
     "--method generation counts one unit"),
])
def test_cli_refuses_in_one_line(argv, needle, capsys):
    assert main(["count", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# the count API and CLI


def test_count_defaults_to_relu_like_the_other_front_doors():
    import inspect

    from capacity.solvers.front import min_width

    assert inspect.signature(count).parameters["activation"].default == "relu"
    assert inspect.signature(min_width).parameters["activation"].default == "relu"
    assert count(Domain(3), weight_bound=None).activation == "relu"


def test_real_relu_hint_names_an_existing_option():
    from capacity.solvers.front import METHODS

    with pytest.raises(CapacityError, match="method='milp'") as exc:
        count(Domain(3), 2, "relu", None)
    assert "milp" in METHODS and "--method milp" in str(exc.value)


def test_every_count_option_has_help():
    from capacity.cli import build_parser

    sub = build_parser("count")._subparsers._group_actions[0].choices["count"]
    for action in sub._actions:
        assert action.help, action.option_strings


def test_cli_out_file(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out", str(out),
                 "--no-progress"]) == 0
    assert json.loads(out.read_text())["count"] == A000609[3]
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out",
                 str(tmp_path / "c.txt")]) == 2
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out",
                 str(tmp_path / "missing" / "c.json")]) == 2
    assert not (tmp_path / "missing").exists()


# ---------------------------------------------------------------------------------------------
# several step units: readout types against the combination enumeration and an exact solver


def _npn_images(table, n):
    """All tables ``+-g(+-x_pi)`` of a function of n bits given as a tuple over the 2^n points."""
    import itertools

    out = set()
    for pi in itertools.permutations(range(n)):
        for neg in itertools.product((0, 1), repeat=n):
            img = tuple(table[sum(((((p >> pi[i]) & 1) ^ neg[i]) << i) for i in range(n))] for p in range(1 << n))
            out.add(img)
            out.add(tuple(1 - v for v in img))
    return out


def test_readout_classes_cover_every_threshold_readout():
    """The module's claim: every threshold function of 3 bits is +-g(+-x_pi) for g among 0, x, x&y, x&y&z,
    x&(y|z), maj -- checked against the enumerated 104 threshold functions of 3 bits."""
    d = Domain(3)
    forms = [lambda x, y, z: 0, lambda x, y, z: x, lambda x, y, z: x & y, lambda x, y, z: x & y & z,
             lambda x, y, z: x & (y | z), lambda x, y, z: (x & y) | (x & z) | (y & z)]
    covered = set()
    for g in forms:
        covered |= _npn_images(tuple(g(p & 1, (p >> 1) & 1, (p >> 2) & 1) for p in range(8)), 3)
    thresholds = {tuple(int(v) for v in row) for row in d.unpack(enumerate_functions(d, 1, "step", None).tables)}
    assert thresholds <= covered and len(thresholds) == A000609[3]


@pytest.mark.parametrize("k,n", [(2, 2), (2, 3), (3, 2), (3, 3), (4, 2)])
def test_readout_types_equal_combination_enumeration(k, n):
    from capacity.threshold import count_step_by_readouts

    assert count_step_by_readouts(k, n).count == count(Domain(k), n, "step", None).count


@pytest.mark.parametrize("k,n", [(2, 2), (3, 2), (3, 3)])
def test_readout_kernels_equal_twins(k, n):
    from capacity.threshold import count_step_by_readouts

    a, b = count_step_by_readouts(k, n), count_step_by_readouts(k, n, backend="python")
    assert a.count == b.count and np.array_equal(a.bits, b.bits)


@pytest.mark.parametrize("k,n", [(3, 2), (4, 2)])
def test_sampled_members_have_witnesses_and_non_members_refutations(k, n):
    from capacity.threshold import count_step_by_readouts, membership_sample

    checks = membership_sample(count_step_by_readouts(k, n), 3, 3, seed=k)
    assert {c.in_count for c in checks} == {True, False}
    for c in checks:
        assert c.agrees, c


# ---------------------------------------------------------------------------------------------
# structure: classes and minimal weights against OEIS A001530, A003184, A003217 (published, independent)


@pytest.mark.parametrize("k", range(1, 7))
def test_structure_matches_published_sequences(k):
    from capacity.threshold import A001530, A003184, A003217, structure

    s = structure(k)
    assert s.npn_exactly[k] == A001530[k]  # NPN classes of threshold functions of exactly k variables
    assert s.selfdual_np_exactly[k] == A003184[k]  # NP classes of self-dual ones
    assert int(s.min_total_weight.max()) == A003217[k]  # largest minimal total weight
    assert sum(s.weight_distribution().values()) == A001530[k]
    # the NPN classes of fewer essential inputs are those of smaller k
    assert s.npn_exactly[:k] == [A001530[j] for j in range(k)]


def test_min_total_weight_kernel_equals_twin():
    from capacity._kernels import KERNELS, TWINS
    from capacity.enumeration import _canonical, muroga_bound

    d = Domain(4)
    canon, _ = _canonical(d, muroga_bound(4), False, KERNELS, 1, False)
    X = d.points.astype(np.int64)
    outs = []
    for kern in (KERNELS, TWINS):
        best, W, T = np.full(len(canon), -1), np.zeros((len(canon), 4), np.int64), np.zeros(len(canon), np.int64)
        with np.errstate(over="ignore"):
            missing = kern["min_total_weight"](X, canon, 9, best, W, T)
        outs.append((missing, best, W, T))
    assert outs[0][0] == outs[1][0] == 0
    for a, b in zip(outs[0][1:], outs[1][1:]):
        assert np.array_equal(a, b)


def _weights_by_table(s):
    return dict(zip(map(tuple, s.canon.tolist()), s.min_total_weight.tolist()))


@pytest.mark.parametrize("k", range(1, 7))
def test_lp_minimal_weights_equal_the_exhaustive_scan(k):
    """Two independent methods, function by function: LP bounds (+ CP-SAT) on the generated canonical set, and
    the exhaustive scan of sorted weight vectors on the orbit enumeration's canonical set."""
    from capacity.threshold import structure

    lp, scan = structure(k, method="lp"), structure(k, method="scan")
    assert _weights_by_table(lp) == _weights_by_table(scan)
    assert lp.weight_distribution() == scan.weight_distribution()
    assert lp.tallies["open"] == 0 and lp.tallies["lp_bounds_meet"] + lp.tallies["cp_sat"] == lp.np_classes


def test_cp_sat_path_equals_the_exhaustive_scan():
    """Two pivots leave every LP unsolved: each minimum then comes from CP-SAT, and still equals the scan."""
    from capacity.threshold import count_by_generation, min_total_weights, structure

    g = count_by_generation(5)
    best, W, T, proof = min_total_weights(g.canon, 5, max_pivots=2)
    assert np.sum(proof == 2) > 100 and np.all(proof > 0)  # CP-SAT, and none open
    got = dict(zip(map(tuple, g.canon.tolist()), best.tolist()))
    assert got == _weights_by_table(structure(5, method="scan"))
    X = Domain(5).points.astype(np.int64)
    assert np.array_equal(Domain(5).pack((X @ W.T >= T).T), g.canon)


def test_min_weight_lp_kernel_equals_twin():
    from capacity._kernels import KERNELS, TWINS
    from capacity.threshold import count_by_generation

    d = Domain(6)
    fb = d.unpack(count_by_generation(6).canon[::7]).astype(np.uint8)
    X = d.points.astype(np.int64)
    a, b = KERNELS["min_weight_lp"](fb, X, 500), TWINS["min_weight_lp"](fb, X, 500)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert np.all(a[0] >= 1) and np.all(a[0] == a[1])  # at k = 6 the LP bounds always meet


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 118), st.integers(0, 2**32 - 1))
def test_accepted_weight_certificates_are_sound(i, seed):
    """A perturbed certificate is either refused by the exact check or still proves a bound at most the true
    minimum (from the exhaustive scan): the check, not the simplex, carries the proof."""
    from capacity._kernels import KERNELS
    from capacity.threshold import check_weight_certificates, count_by_generation

    d = Domain(5)
    canon = count_by_generation(5).canon
    fb = d.unpack(canon[i:i + 1]).astype(np.uint8)
    X = d.points.astype(np.int64)
    lo, _, _, _, cert, D = KERNELS["min_weight_lp"](fb, X, 500)
    truth = _weights_by_table(_scan5())[tuple(canon[i].tolist())]
    assert check_weight_certificates(fb, X, cert, D)[0] == lo[0] == truth
    rng = np.random.default_rng(seed)
    bad = cert + rng.integers(0, 3, cert.shape) * rng.integers(0, 1 << 19, cert.shape) * (rng.random(cert.shape) < .2)
    got = check_weight_certificates(fb, X, bad, np.maximum(1, D + rng.integers(-(1 << 19), 1 << 19)))[0]
    assert got == -1 or got <= truth
    assert check_weight_certificates(fb, X, cert, np.zeros(1, np.int64))[0] == -1  # D must be positive
    neg = cert.copy()
    neg[0, np.argmax(cert[0])] *= -1
    assert cert.max() == 0 or check_weight_certificates(fb, X, neg, D)[0] == -1  # multipliers must be >= 0


@functools.lru_cache(maxsize=1)
def _scan5():
    from capacity.threshold import structure

    return structure(5, method="scan")


def test_cli_generation_counts_and_classes(tmp_path, capsys):
    argv = ["count", "--inputs", "5", "--hidden", "1", "--activation", "step", "--real", "--method", "generation",
            "--workers", "1", "--structure", "--json", "--cache", str(tmp_path)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["count"] == A000609[5] and out["method"] == "generation"
    assert out["structure"]["npn_by_essential_inputs"][5] == 48  # OEIS A001530(5)
    assert out["structure"]["max_min_total_weight"] == 17  # OEIS A003217(5)
    assert list((tmp_path / "level5").glob("chunk_*.npz"))  # the cache was written


def test_cli_structure(capsys):
    assert main(["count", "--inputs", "4", "--hidden", "1", "--activation", "step", "--real", "--structure",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["count"] == A000609[4] and d["structure"]["npn_exactly"] == 9
    assert main(["count", "--inputs", "4", "--hidden", "2", "--activation", "step", "--real", "--structure"]) == 2


# ---------------------------------------------------------------------------------------------
# A000609 by generation from k - 1, every candidate certified


@pytest.mark.parametrize("k", range(1, 7))
def test_generation_equals_A000609_and_the_orbit_enumeration(k):
    from capacity._kernels import KERNELS
    from capacity.enumeration import _canonical
    from capacity.threshold import count_by_generation

    g = count_by_generation(k)
    assert g.count == A000609[k]
    canon, _ = _canonical(Domain(k), muroga_bound(k), False, KERNELS, 1, False)
    assert np.array_equal(g.canon, canon)  # the same canonical functions, orbit by orbit


def test_generation_hands_large_levels_to_workers_as_files(monkeypatch):
    from capacity import threshold
    from capacity.threshold import count_by_generation

    monkeypatch.setattr(threshold, "SHIP_AS_FILE_ROWS", 10)  # levels of >= 10 functions go as a file
    g = count_by_generation(6, workers=2, chunk=16)
    assert g.count == A000609[6]


def test_generation_resumes_from_its_cache(tmp_path):
    from capacity.threshold import count_by_generation

    part = count_by_generation(5, chunk=8, cache_dir=tmp_path, sample_chunks=2)
    assert part.count == -1 and part.levels[-1]["candidates_total"] == 119
    saved = {p: p.stat().st_mtime_ns for p in (tmp_path / "level5").glob("chunk_*.npz")}
    assert len(saved) == 2
    full = count_by_generation(5, chunk=8, cache_dir=tmp_path)
    assert full.count == A000609[5]
    assert all(p.stat().st_mtime_ns == t for p, t in saved.items())  # reused, not recomputed


def test_certificates_are_checked_both_ways():
    from capacity.threshold import certify_threshold

    d = Domain(4)
    X = d.points.astype(np.int64)
    x = [X[:, i].astype(bool) for i in range(4)]
    kind, A, B = certify_threshold((x[0] & x[1]) | (x[2] & x[3]), X)  # positive, not threshold
    assert kind == "not threshold" and A.sum() == B.sum() > 0
    kind, W, T = certify_threshold(x[0] | (x[1] & x[2]), X)
    assert kind == "threshold" and np.array_equal(X @ W >= T, x[0] | (x[1] & x[2]))


def test_pair_candidates_kernel_equals_twin():
    from capacity._kernels import KERNELS, TWINS
    from capacity.domain import pack
    from capacity.enumeration import _canonical

    d = Domain(4)
    C, _ = _canonical(d, muroga_bound(4), False, KERNELS, 1, False)
    bits = d.unpack(C)
    low, high = pack(bits[:, :8]), pack(bits[:, 8:])
    a, na = KERNELS["pair_candidates"](C, low, high, 0, len(C), False)
    b, nb = TWINS["pair_candidates"](C, low, high, 0, len(C), False)
    assert na == nb == len(a) and np.array_equal(a, b)


# OEIS A000615: threshold functions of exactly n variables (n = 0..8)
A000615 = [2, 2, 8, 72, 1536, 86080, 14487040, 8274797440, 17494930604032]


@pytest.mark.parametrize("k", range(1, 7))
def test_generation_classes_equal_the_structure_and_published_sequences(k):
    from capacity.threshold import A001530, A003184, count_by_generation, structure

    c = count_by_generation(k).classes(rows=7)  # small row blocks: the blocking is exercised
    if k <= 5:  # the structure's own (unblocked) class counts; k = 6 is in test_structure_matches_...
        s = structure(k)
        assert c["np_classes"] == s.np_classes and c["npn_by_essential_inputs"] == s.npn_exactly
        assert c["selfdual_np_by_essential_inputs"] == s.selfdual_np_exactly
    assert c["npn_by_essential_inputs"][k] == A001530[k] and c["selfdual_np_by_essential_inputs"][k] == A003184[k]
    assert c["functions_by_essential_inputs"][k] == A000615[k] and sum(c["functions_by_essential_inputs"]) == A000609[k]


@pytest.mark.slow
def test_generation_k8_equals_A000609_and_its_class_counts():
    """Every level up to 8 (about 7.1 million certified candidates at level 8): minutes on 2 cores."""
    from capacity.threshold import A001530, A003184, count_by_generation

    g = count_by_generation(8, workers=2)
    assert g.count == 17561539552946  # OEIS A000609(8)
    c = g.classes()
    assert c["npn_by_essential_inputs"][8] == A001530[8] and c["selfdual_np_by_essential_inputs"][8] == A003184[8]
    assert c["functions_by_essential_inputs"][8] == A000615[8]


@pytest.mark.slow
def test_lp_minimal_weights_k7_equal_the_exhaustive_scan():
    from capacity.threshold import A003217, structure

    lp = structure(7, method="lp")
    assert _weights_by_table(lp) == _weights_by_table(structure(7, method="scan"))
    assert int(lp.min_total_weight.max()) == A003217[7]


@pytest.mark.slow
def test_minimal_weights_k8_against_published_sequences():
    """Minutes on 2 cores: generation of level 8, then 2.7 million LPs."""
    from capacity.threshold import A001530, A003217, structure

    s = structure(8, method="lp", workers=2)
    assert s.tallies["open"] == 0
    assert int(s.min_total_weight.max()) == A003217[8]  # 209, published; the run never reads it
    assert sum(s.weight_distribution().values()) == A001530[8]


@pytest.mark.slow
def test_generation_k7_equals_A000609():
    from capacity.threshold import count_by_generation

    assert count_by_generation(7, workers=2).count == 8378070864  # OEIS A000609(7)


def test_combination_set_growth_is_refused_not_killed():
    """The size of a several-unit set is known only as it grows: the driver merges chunk sets and refuses
    past the limit (here a tiny one) instead of running out of memory."""
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(3), 2, "step", None, max_bytes=8 * 4 * 100)
    assert count(Domain(3), 2, "step", None, max_bytes=8 * 4 * 300).count == 254  # all but parity and its complement


def test_cheap_certify_kernel_equals_twin():
    from capacity._kernels import KERNELS, TWINS
    from capacity.domain import pack
    from capacity.threshold import _MIX, count_by_generation

    prev = count_by_generation(5)  # canonical functions of 5 inputs (sorted) ...
    d5, d6 = Domain(5), Domain(6)
    bits = d5.unpack(prev.canon)
    W = np.zeros((len(bits), 5), dtype=np.int64)  # ... with zero weights: most tries fail, the 2-sum path runs
    pairs, _ = KERNELS["pair_candidates"](prev.canon, pack(bits[:, :16]), pack(bits[:, 16:]), 0, len(bits), False)
    pairs = np.ascontiguousarray(pairs[::8])  # the plain-Python twin is slow
    args = (bits.astype(np.uint8), W, pairs, d5.points.astype(np.int64), d6.points.astype(np.int64), np.array(_MIX))
    a, b = KERNELS["cheap_certify"](*args), TWINS["cheap_certify"](*args)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert set(np.unique(a[0])) == {0, 1, 2}


def test_simplex_realise_kernel_equals_twin_and_every_proposal_is_exact():
    from capacity._kernels import KERNELS, TWINS
    from capacity.enumeration import _canonical

    d = Domain(5)
    X = d.points.astype(np.int64)
    canon, _ = _canonical(d, muroga_bound(5), False, KERNELS, 1, False)
    x = [X[:, i].astype(bool) for i in range(5)]
    not_threshold = np.array([(x[0] & x[1]) | (x[2] & x[3]), (x[0] & x[1]) | (x[2] & x[3]) | x[4]])
    f = np.vstack([d.unpack(canon), not_threshold]).astype(np.uint8)
    a, b = KERNELS["simplex_realise"](f, X, 500), TWINS["simplex_realise"](f, X, 500)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    status, W, T = a
    assert np.all(status[:-2] == 1) and np.all(status[-2:] == 0)  # every threshold function gets a proposal
    assert np.array_equal((X @ W[:-2].T >= T[:-2]).T, f[:-2].astype(bool))  # ... and each one is exact


def test_combination_work_is_predicted_before_the_scan():
    # 47286 unit tables up to complement on {0,1}^5: C(47288, 3) hidden layers x 104 readouts x 32 points
    with pytest.raises(CapacityError, match="MAX_EVALUATIONS"):
        count(Domain(5), 3, "step", None)


def test_generation_on_dask_equals_local_processes():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from capacity.threshold import count_by_generation

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None,
                      protocol="tcp://", host="127.0.0.1") as cluster:
        on_dask = count_by_generation(5, dask=cluster.scheduler_address, chunk=16)
    local = count_by_generation(5, workers=2, chunk=16)
    assert on_dask.count == local.count == A000609[5] and np.array_equal(on_dask.canon, local.canon)


# ---------------------------------------------------------------------------------------------
# two ReLU units with real weights, decided by phase patterns


def test_two_relu_units_compute_every_function_of_two_inputs_with_exact_witnesses():
    from capacity.threshold import _two_relu_outputs, count_two_relu

    n, decisions = count_two_relu(2)
    assert n == 16  # XOR needs two units (proofs/check_xor_needs_two_units.py) and has them here
    X = Domain(2).points.astype(np.int64)
    for d in decisions:  # every witness, re-evaluated here on every point
        (w1, w2), (b1, b2), (s1, s2), c = d.witness
        got = _two_relu_outputs([*w1, b1, *w2, b2, c], s1, s2, X, 2)
        assert sum(1 << p for p, v in enumerate(got) if v) == d.table


@pytest.mark.slow
def test_parity_of_three_needs_more_than_two_relu_units():
    """Every phase pattern refuted with a checked Farkas certificate (about 80 CPU-seconds)."""
    from capacity.threshold import decide_two_relu

    X = Domain(3).points
    d = decide_two_relu(X.sum(axis=1) % 2 == 1, 3)
    assert not d.representable and d.certificates == d.patterns > 100
    # the integer enumeration agrees: parity is outside the K = 2 class (a subclass of the real one)
    assert count(Domain(3), 2, "relu", 2).count == 254


# ---------------------------------------------------------------------------------------------
# several step units by NPN classes (capacity.npn): orbits, each search against brute force, the counts

# OEIS A000370: NPN classes of Boolean functions of k or fewer variables (k = 0..5).
A000370 = [1, 2, 4, 14, 222, 616126]


@functools.lru_cache(maxsize=None)
def _tables(k):
    from capacity.npn import point_bitsets
    from capacity.threshold import threshold_tables

    T = np.ascontiguousarray(threshold_tables(k)[:, 0])
    return T, point_bitsets(T, 1 << k)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 4), seed=st.integers(0, 2**16 - 1))
def test_orbit_walk_visits_the_npn_orbit(k, seed):
    import itertools

    from capacity.npn import KERNELS, TWINS, npn_orbit, orbit_walk

    N = 1 << k
    f = seed % (1 << N)
    kinds, var, lo, A = orbit_walk(k)
    assert len(kinds) + 1 == 2**k * len(list(itertools.permutations(range(k))))
    expected = {sum(v << p for p, v in enumerate(t)) for t in _npn_images(tuple((f >> p) & 1 for p in range(N)), k)}
    assert npn_orbit(f, k) == expected
    for kern in (KERNELS, TWINS):
        out = np.zeros(len(kinds) + 1, dtype=np.uint64)
        kern["orbit_states"](np.uint64(f), kinds, var, lo, A, out)
        assert {int(s) for s in out} | {(1 << N) - 1 - int(s) for s in out} == expected


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_npn_classes_equal_A000370_and_twin(k):
    from capacity.npn import npn_classes

    reps, sizes = npn_classes(k)
    assert len(reps) == A000370[k] and sizes.sum() == 1 << (1 << k)
    r2, s2 = npn_classes(k, backend="python")
    assert np.array_equal(reps, r2) and np.array_equal(sizes, s2)


def _brute_sets_three_inputs():
    """The tables each form computes at 3 inputs, by brute force over every pair / triple of ``T``."""
    T, _ = _tables(3)
    a, b, c = T[:, None, None], T[None, :, None], T[None, None, :]
    full = np.uint64(255)
    and2 = set(np.unique(T[:, None] & T[None, :]).tolist())
    and3 = set(np.unique(a & b & c).tolist())
    and_or = set(np.unique(a & (b | c)).tolist())
    maj = set(np.unique((a & b) | (a & c) | (b & c)).tolist())
    neg = lambda S: {int(full) ^ f for f in S}  # noqa: E731
    return {(2, 1): and2, (2, 2): neg(and2), (3, 1): and3, (3, 2): neg(and3), (3, 3): and_or, (3, 4): neg(and_or),
            (3, 5): maj}


def _brute_forms_four_inputs(f):
    """Which forms compute ``f`` at 4 inputs, by brute force over the triples of ``T`` that can matter:
    ``g1 >= h`` for the ANDs and for ``g1 & (g2 | g3)`` (whose ``g2 & g1``, ``g3 & g1`` must lie inside ``h``),
    and for the majority every pair with disjoint errors plus "some error set avoids both" (a subset closure)."""
    T, _ = _tables(4)
    T = T.astype(np.int64)
    full = (1 << 16) - 1
    row = {}
    for code, h in ((1, f), (2, full ^ f)):
        S = T[T & h == h]
        pair = np.unique(S[:, None] & S[None, :])
        row[(2, code)] = bool((pair == h).any())
        row[(3, code)] = bool(((pair[:, None] & S[None, :]) == h).any())
    for code, h in ((3, f), (4, full ^ f)):
        row[(3, code)] = False
        for g1 in T[T & h == h]:
            V = np.unique(T & g1)
            V = V[V & ~h == 0]
            if ((V[:, None] | V[None, :]) == h).any():
                row[(3, code)] = True
                break
    E = T ^ f
    has = np.zeros(1 << 16, dtype=bool)  # has[V]: some error set lies inside V
    has[E] = True
    idx = np.arange(1 << 16)
    for x in range(16):
        up = idx[(idx >> x) & 1 == 1]
        has[up] |= has[up ^ (1 << x)]
    pairs = (E[:, None] & E[None, :]) == 0
    row[(3, 5)] = bool(has[full ^ (E[:, None] | E[None, :])][pairs].any())
    return row


@pytest.mark.parametrize("n", [2, 3])
def test_each_search_is_exhaustive_on_every_function_of_three_inputs(n):
    """Every function of 3 inputs, each form's search on its own (kernel and plain twin) against brute force
    over all triples of threshold functions: a form is found exactly when some triple computes it, and the
    witness reproduces the function."""
    from capacity.npn import KERNELS, TWINS, evaluate_form

    T, Z = _tables(3)
    fs = np.arange(256, dtype=np.uint64)
    brute = _brute_sets_three_inputs()
    for only in ((1, 2) if n == 2 else (1, 2, 3, 4, 5)):
        got = {}
        for name, kern in (("numba", KERNELS), ("python", TWINS)):
            forms, wits = np.zeros(256, dtype=np.int64), np.zeros((256, 3), dtype=np.int64)
            kern["decide"](fs, T, Z, 8, n, only, forms, wits)
            got[name] = (forms.copy(), wits.copy())
            for f in range(256):
                assert (forms[f] == only) == (f in brute[(n, only)]), (name, only, f)
                if forms[f]:
                    assert evaluate_form(only, *(int(T[w]) for w in wits[f]), 8) == f
        assert all(np.array_equal(a, b) for a, b in zip(got["numba"], got["python"]))


@settings(max_examples=25, deadline=None)
@given(f=st.integers(0, 2**16 - 1))
def test_each_search_agrees_with_brute_force_at_four_inputs(f):
    from capacity.npn import KERNELS

    T, Z = _tables(4)
    brute = _brute_forms_four_inputs(f)
    for n, only in ((2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5)):
        forms, wits = np.zeros(1, dtype=np.int64), np.zeros((1, 3), dtype=np.int64)
        KERNELS["decide"](np.array([f], dtype=np.uint64), T, Z, 16, n, only, forms, wits)
        assert (forms[0] == only) == brute[(n, only)], (n, only)


@pytest.mark.parametrize("k,n", [(2, 2), (2, 3), (3, 1), (3, 2), (3, 3), (4, 1), (4, 2)])
def test_class_count_equals_readout_types(k, n):
    from capacity.npn import count_step_by_classes
    from capacity.threshold import count_step_by_readouts, in_readout_set

    res, ref = count_step_by_classes(k, n), count_step_by_readouts(k, n)
    assert res.count == ref.count
    assert all(res.contains(f) == in_readout_set(ref, f) for f in range(0, 1 << (1 << k), 97))


def test_class_count_four_inputs_three_units_misses_only_parity():
    """Three step units compute every function of 4 inputs except parity and its complement (parity of 4
    needs 4 step units, proofs/check_parity_widths.py)."""
    from capacity.npn import count_step_by_classes
    from capacity.threshold import membership_sample

    res = count_step_by_classes(4, 3, threads=2)
    parity = sum(bin(p).count("1") % 2 << p for p in range(16))
    assert res.count == 2**16 - 2 and not res.contains(parity) and not res.contains(0xFFFF ^ parity)
    assert res.member_classes == A000370[4] - 1


def test_class_count_membership_sample_by_sat():
    """The SAT front door (Muroga's box, no readout forms) agrees with the class decisions both ways."""
    from capacity.npn import count_step_by_classes
    from capacity.threshold import membership_sample

    checks = membership_sample(count_step_by_classes(3, 2), 3, 2, seed=3)
    assert {c.in_count for c in checks} == {True, False} and all(c.agrees for c in checks)


def test_cli_counts_step_units_by_classes(capsys):
    assert main(["count", "--inputs", "4", "--hidden", "2", "--activation", "step", "--real", "--method", "classes",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == count(Domain(4), 2, "step", None).count
    assert main(["count", "--inputs", "6", "--hidden", "2", "--activation", "step", "--real", "--method",
                 "classes"]) == 2
    assert "--method classes" in capsys.readouterr().err


@pytest.mark.slow
def test_class_count_five_inputs_two_units_equals_readout_types():
    """k = 5, n = 2: 74986552 from the readout-type count (count_step_by_readouts, docs/counting.md), an
    independent method; the classes equal OEIS A000370(5)."""
    from capacity.npn import count_step_by_classes

    res = count_step_by_classes(5, 2, threads=2)
    assert res.classes == A000370[5] and res.count == 74986552


@pytest.mark.slow
def test_class_count_five_inputs_three_units_agrees_with_sat_samples():
    """k = 5, n = 3: sampled members come back REPRESENTABLE from SAT with a re-verified witness, sampled
    non-members NOT_REPRESENTABLE with a checked proof (Muroga's box, no readout forms)."""
    from capacity.npn import count_step_by_classes
    from capacity.threshold import membership_sample

    res = count_step_by_classes(5, 3, threads=2)
    checks = membership_sample(res, 2, 2, seed=5)
    assert {c.in_count for c in checks} == {True, False} and all(c.agrees for c in checks)


def test_cli_auto_counts_five_inputs_three_step_units_by_classes(monkeypatch, capsys):
    """``count --inputs 5 --hidden 3 --activation step --real`` is no longer refused: ``auto`` takes the class
    count (stubbed here; the real run is the slow test above)."""
    import capacity.npn as npn

    calls = []

    def fake(k, n, **kw):
        calls.append((k, n))
        return npn.ClassCount(k, n, 7, 1, 1, 1, 0.0, {5: 1})

    monkeypatch.setattr(npn, "count_step_by_classes", fake)
    assert main(["count", "--inputs", "5", "--hidden", "3", "--activation", "step", "--real", "--json"]) == 0
    assert calls == [(5, 3)] and json.loads(capsys.readouterr().out)["method"] == "npn classes"
