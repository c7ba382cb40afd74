"""Tests of capacity.scaling: bounds and fits, constructions, configs, the result cache, sweeps and reports.

The exact columns are tested through a small stand-in for the front doors built on
``capacity.solvers.reference`` (plain-Python brute force), and against the front doors themselves
(agreement of two methods).
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.domain import Domain
from capacity.errors import CapacityError, SpecError
from capacity.features import k_ands
from capacity.network import Network, computed
from capacity.scaling import (
    BOUNDS,
    CacheError,
    ResultCache,
    SerialExecutor,
    SweepConfig,
    construction_min_width,
    counting_min_width,
    dedicated_network,
    fit_constant,
    fit_exponent,
    network_behaviours,
    pair_features,
    plan,
    point_key,
    run_point,
    run_sweep,
    sparse_code_network,
    uand_network,
    write_report,
)
from capacity.scaling.constructions import pairs_of
from capacity.scaling.points import graph_classes

# ---------------------------------------------------------------------------------------------
# stand-in for the exact front doors (tests only): brute force over the K = 1 class


def _ref_min_width(fs, o):
    from capacity.solvers import Problem, Status, reference

    t0, last = time.perf_counter(), None
    for n in range(1, len(fs) + 1):
        r = reference.solve(Problem(fs, n, o.get("activation", "relu"), o.get("weight_bound", 1)))
        if r.status is Status.REPRESENTABLE:
            return {
                "status": "PROVEN",
                "min_width": n,
                "lower": n,
                "upper": n,
                "proven": True,
                "method": "reference",
                "seconds": time.perf_counter() - t0,
                "certificate_kind": None if last is None else last.certificate.kind,
                "certificate_checked": None if last is None else last.certificate.checked,
                "certificate_detail": None if last is None else last.certificate.detail,
                "witness": r.witness.to_dict(),
                "witness_parameter_size": r.witness.parameter_size,
            }
        last = r
    raise AssertionError("dedicated width m' must be representable")


def standin_point(point):
    """min_width / capacity by brute force (reference), everything else by the real run_point."""
    from capacity.solvers import Problem, Status, reference

    if point.kind == "min_width":
        return _ref_min_width(point.features(), point.opts)
    if point.kind == "capacity":
        fs = point.features()
        for k in range(len(fs), 0, -1):
            for sub in itertools.combinations(range(len(fs)), k):
                r = reference.solve(Problem(fs.select(list(sub)), point.width, "relu", 1))
                if r.status is Status.REPRESENTABLE:
                    return {
                        "size": k,
                        "upper": k,
                        "proven": True,
                        "chosen": list(sub),
                        "seconds": 0.0,
                        "witness": r.witness.to_dict(),
                        "witness_parameter_size": r.witness.parameter_size,
                    }
        return {
            "size": 0,
            "upper": 0,
            "proven": True,
            "chosen": [],
            "seconds": 0.0,
            "witness": None,
            "witness_parameter_size": None,
        }
    return run_point(point)


TINY = dict(
    families=("pairs", "uand"),
    inputs=(3,),
    feature_counts=(1, 2, 3),
    uand_inputs=(3,),
    widths=(1, 2),
    instances=2,
    construction_seeds=2,
    construction_max_width=8,
    train_seeds=2,
    train_steps=200,
    time_limit=60.0,
    scan_seeds=1,
    scan_steps=150,
)


# ---------------------------------------------------------------------------------------------
# bounds and fits


def test_bound_expressions_are_the_papers_growth_rates():
    # g(e) for sqrt(m' ln m') at m' = e is sqrt(e); n^2/ln n at n = e is e^2; m^(2/3) at 8 is 4
    assert BOUNDS["as_neurons_lower"].evaluate([math.e])[0] == pytest.approx(math.sqrt(math.e))
    assert BOUNDS["as_capacity_upper"].evaluate([math.e])[0] == pytest.approx(math.e**2)
    assert BOUNDS["hanni_uand_neurons"].evaluate([8.0])[0] == pytest.approx(4.0)
    assert BOUNDS["as_2and_params"].evaluate([math.e])[0] == pytest.approx(math.e)
    # log 1 = 0 in a denominator is undefined, not infinite
    assert np.isnan(BOUNDS["as_capacity_upper"].evaluate([1.0])[0])


def test_fit_constant_recovers_a_planted_constant_and_the_envelope():
    x = np.array([2.0, 4, 8, 16])
    g = BOUNDS["as_neurons_lower"].evaluate(x)
    f = fit_constant("as_neurons_lower", x, 2.5 * g)
    assert (
        f.c_ls == pytest.approx(2.5) and f.c_envelope == pytest.approx(2.5) and f.rel_rmse == pytest.approx(0)
    )
    # lower bound: the envelope is the smallest ratio y/g (hand example: ratios 3, 2, 4, 5 -> 2)
    y = g * np.array([3.0, 2.0, 4.0, 5.0])
    assert fit_constant("as_neurons_lower", x, y).c_envelope == pytest.approx(2.0)
    # upper bound: the largest ratio
    gu = BOUNDS["as_2and_neurons"].evaluate(x)
    assert fit_constant(
        "as_2and_neurons", x, gu * np.array([3.0, 2.0, 4.0, 5.0])
    ).c_envelope == pytest.approx(5.0)
    # m' = 1 has g = 0 and is dropped
    assert fit_constant("as_neurons_lower", [1.0], [1.0]) is None


def test_fit_exponent_recovers_planted_exponents_with_intervals():
    x = np.tile([2.0, 4, 8, 16, 32], 3)
    groups = np.repeat([0, 1, 2], 5)
    rng = np.random.default_rng(0)
    slopes = np.array([0.45, 0.5, 0.55])
    y = np.exp(slopes[groups] * np.log(x)) * np.array([1.0, 2.0, 3.0])[groups]
    f = fit_exponent(x, y, groups)
    assert f.alpha == pytest.approx(0.5) and f.n_groups == 3
    # t(0.975, 2) = 4.303; sd of (0.45, 0.5, 0.55) = 0.05; half width = 4.303 * 0.05 / sqrt(3)
    assert f.high - f.alpha == pytest.approx(4.302652729911275 * 0.05 / math.sqrt(3), rel=1e-4)
    one = fit_exponent(x[:5], 3 * x[:5] ** 0.75 * np.exp(rng.normal(0, 0.01, 5)))
    assert one.low < 0.75 < one.high and one.n_groups == 1


def test_network_behaviours_hand_value():
    # m=4, s=2, K=1, n=1, F=3: hidden (3^4 * (2*2*1+1)) = 405; outputs (3^1 * (11 + 1))^3 = 36^3 = 46656
    assert network_behaviours(4, 2, 1, 3, 1) == 405 * 46656
    # C(C(4,2),3) = 20 <= that, so the counting bound is n >= 1 (vacuous at this size)
    assert counting_min_width(4, 2, 3) == 1
    with pytest.raises(CapacityError):
        counting_min_width(4, 2, 7)


def _brute_force_computable_sets(m, s, n, k):
    """Every set of k pairwise ANDs some width-n, K=1 ReLU network computes on D_s (independent brute force:
    all hidden layers with biases in [-m-1, m+1], every readout in {-1,0,1}^n with the best free bias)."""
    d = Domain(m, s)
    X = d.points.astype(np.int64)
    pairs = list(itertools.combinations(range(m), 2))
    target = [(X[:, a] & X[:, b]).astype(bool) for a, b in pairs]
    units = set()
    for w in itertools.product((-1, 0, 1), repeat=m):
        for b in range(-m - 1, m + 2):
            units.add(tuple(np.maximum(X @ np.array(w) + b, 0)))
    units = [np.array(u) for u in units]
    found = set()
    for layer in itertools.combinations_with_replacement(range(len(units)), n):
        H = np.stack([units[j] for j in layer], axis=1)
        readable = set()
        for v in itertools.product((-1, 0, 1), repeat=n):
            t = H @ np.array(v)
            for f, tf in enumerate(target):
                if tf.any() and (~tf).any() and t[tf].min() > t[~tf].max():
                    readable.add(f)
        found |= {frozenset(c) for c in itertools.combinations(sorted(readable), k)}
    return found


def test_counting_inequality_holds_against_brute_force():
    # the counting step: #computable k-sets <= #behaviours (m=3, s=2, n=1)
    for k in (1, 2, 3):
        sets = _brute_force_computable_sets(3, 2, 1, k)
        assert len(sets) <= network_behaviours(3, 2, 1, k, 1)
        assert len(sets) <= math.comb(3, k)
    # width 1 computes no two pairs at once on D_2 but every single pair; a second method (SAT) agrees
    assert len(_brute_force_computable_sets(3, 2, 1, 1)) == 3
    assert len(_brute_force_computable_sets(3, 2, 1, 2)) == 0
    from capacity.solvers import Problem, Status, sat

    fs = k_ands(Domain(3, 2), 2, 2, seed=0)
    assert sat.solve(Problem(fs, 1, "relu", 1)).status is Status.NOT_REPRESENTABLE


# ---------------------------------------------------------------------------------------------
# constructions


@pytest.mark.parametrize("m,s", [(3, 2), (4, 2), (4, 3), (4, None), (5, 2)])
def test_dedicated_network_computes_every_pair_on_every_domain(m, s):
    # relu(x_a + x_b - 1) is 1 when both are on and 0 otherwise; readout h - 1 >= 0 iff both on
    d = Domain(m, s)
    pairs = list(itertools.combinations(range(m), 2))
    c = dedicated_network(d, pairs)
    assert c.all_computed and c.d_hidden == len(pairs) and c.parameter_size == 3 * len(pairs)
    # at width n < m' it computes exactly the first n pairs
    c2 = dedicated_network(d, pairs, 2)
    assert c2.computes.tolist() == [True, True] + [False] * (len(pairs) - 2)


def _predicted_by_channel_rule(W_in, channels, pairs):
    """On D_2 (our claim): output (a,b) computes AND(a,b) iff its channel is non-empty and the inputs shared
    by every channel unit are exactly {a, b}."""
    out = []
    for (a, b), ch in zip(pairs, channels):
        if not ch:
            out.append(False)
            continue
        common = set(np.flatnonzero(W_in[ch].min(axis=0)).tolist())
        out.append(common == {a, b})
    return out


@settings(max_examples=40)
@given(
    m=st.integers(3, 6), n=st.integers(1, 8), p=st.sampled_from([0.3, 0.5, 0.8]), seed=st.integers(0, 10**6)
)
def test_uand_network_matches_the_channel_rule_on_sparse_inputs(m, n, p, seed):
    d = Domain(m, 2)
    c = uand_network(d, n, p=p, seed=seed)
    pairs = pairs_of(c.features)
    W = np.asarray(c.network.W_in)
    assert set(np.unique(W).tolist()) <= {0, 1} and (np.asarray(c.network.b_in) == -1).all()
    channels = [np.flatnonzero(W[:, a] & W[:, b]).tolist() for a, b in pairs]
    assert c.computes.tolist() == _predicted_by_channel_rule(W, channels, pairs)


@settings(max_examples=40)
@given(
    m=st.integers(3, 6),
    n=st.integers(1, 8),
    r=st.integers(1, 3),
    k=st.integers(1, 6),
    seed=st.integers(0, 10**6),
)
def test_sparse_code_network_matches_the_channel_rule_on_sparse_inputs(m, n, r, k, seed):
    d = Domain(m, 2)
    k = min(k, math.comb(m, 2))
    pairs = pairs_of(k_ands(d, 2, k, seed=seed))
    if r > n:
        with pytest.raises(SpecError):
            sparse_code_network(d, pairs, n, channel_size=r, seed=seed)
        return
    c = sparse_code_network(d, pairs, n, channel_size=r, seed=seed)
    W = np.asarray(c.network.W_in)
    channels = [np.flatnonzero(row).tolist() for row in np.asarray(c.network.W_out)]
    assert all(len(ch) == r for ch in channels)
    assert c.computes.tolist() == _predicted_by_channel_rule(W, channels, pairs)


def test_construction_min_width_is_the_first_all_computing_width():
    d = Domain(5, 2)
    pairs = pairs_of(k_ands(d, 2, 4, seed=3))
    best, log = construction_min_width(
        "sparse_code", d, pairs, max_width=12, seed=0, grid={"channel_size": (1, 2, 3)}
    )
    assert best is not None and best.all_computed
    assert [e["d_hidden"] for e in log] == list(range(1, best.d_hidden + 1))
    assert all(e["n_computed"] < len(pairs) for e in log[:-1])
    # the exact re-check of the returned network, independently of the construction's own bookkeeping
    assert computed(best.network, pair_features(d, pairs), aligned=True).all()


def test_pair_features_and_pairs_of_reject_bad_input():
    d = Domain(4, 2)
    with pytest.raises(SpecError):
        pair_features(d, [(0, 0)])
    with pytest.raises(SpecError):
        pair_features(d, [(0, 4)])
    from capacity.features import formulas

    with pytest.raises(SpecError):
        pairs_of(formulas(d, ["x0 | x1"]))


def test_graph_classes_counts_match_the_published_sequence():
    # graphs on 4 vertices by number of edges (OEIS A008406 row n=4): 1,1,2,3,2,1,1 -> sum 11
    assert [len(graph_classes(4, k)) for k in range(1, 7)] == [1, 2, 3, 2, 1, 1]
    # on 5 vertices (A008406 row n=5): 1,1,2,4,6,6,6,4,2,1,1 -> sum 34
    assert [len(graph_classes(5, k)) for k in range(1, 11)] == [1, 2, 4, 6, 6, 6, 4, 2, 1, 1]


# ---------------------------------------------------------------------------------------------
# configurations and the CLI's bad-input path


@pytest.mark.parametrize(
    "kw,msg",
    [
        ({"widths": ()}, "width ladder is empty"),
        ({"families": ("pairs", "nope")}, "unknown family"),
        ({"families": ()}, "families is empty"),
        ({"tolerance": 0.0}, "tolerance"),
        ({"tolerance": 1.0}, "tolerance"),
        ({"tolerance": float("nan")}, "tolerance"),
        ({"widths": (0, 1)}, ">= 1"),
        ({"sparsity": 1}, "sparsity >= 2"),
        ({"columns": ("min_width", "bogus")}, "unknown column"),
        ({"feature_counts": ()}, "feature-count ladder is empty"),
    ],
)
def test_bad_sweep_specs_raise_one_line_spec_errors(kw, msg):
    with pytest.raises(SpecError) as exc:
        SweepConfig(**kw)
    assert msg in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["scaling", "--widths", ""],
        ["scaling", "--families", "pairs,unknown"],
        ["scaling", "--tolerance", "1.5"],
        ["scaling", "--tolerance", "0"],
        ["scaling", "--widths", "1,x"],
        ["scaling", "--instances", "0"],
    ],
)
def test_cli_bad_specs_exit_2_with_one_line(argv, capsys, tmp_path):
    from capacity.cli import main

    rc = main(argv + ["--no-cache", "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("capacity scaling: error:")
    assert not (tmp_path / "o").exists()


def test_cli_bad_preset_exits_2():
    from capacity.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["scaling", "--preset", "nope"])
    assert exc.value.code == 2


def test_plan_is_deterministic_and_seeded():
    cfg = SweepConfig(**TINY, seed=3)
    a, b = plan(cfg), plan(SweepConfig(**TINY, seed=3))
    assert a == b and len(set(a)) == len(a)
    insts = sorted({p.instance for p in a if p.family == "pairs" and p.kind == "min_width"})
    assert insts == [3000, 3001]
    kinds = {p.kind for p in a}
    assert kinds == {"min_width", "capacity", "construction", "trained", "trained_width"}  # no count ladder
    # capacity points only below m' for pairwise ANDs (width m' is the dedicated construction)
    assert all(p.width < p.n_features for p in a if p.kind == "capacity")


# ---------------------------------------------------------------------------------------------
# the result cache


def test_cache_round_trip_and_keys(tmp_path):
    path = tmp_path / "c.sqlite"
    k = point_key({"a": 1}, "f", "0.1.0")
    assert k != point_key({"a": 1}, "f", "0.1.1") and k != point_key({"a": 2}, "f", "0.1.0")
    with ResultCache(path) as c:
        assert c.get(k) is None
        c.put(k, {"a": 1}, {"x": [1, 2], "y": None}, {"proof": b"1 2 0\n"})
        assert c.get(k) == {"x": [1, 2], "y": None} and len(c) == 1
    with ResultCache(path) as c:
        assert c.get(k) == {"x": [1, 2], "y": None}
        assert c.get_blob(k, "proof") == b"1 2 0\n" and c.blob_names(k) == ["proof"]


def _assert_cache_error(path):
    with pytest.raises(CacheError) as exc:
        with ResultCache(path) as c:
            for key in c.keys():
                c.get(key)
                for b in c.blob_names(key):
                    c.get_blob(key, b)
    msg = str(exc.value)
    assert "--no-cache" in msg and "--cache PATH" in msg and str(path) in msg and "\n" not in msg


def _filled_cache(path, n=30):
    with ResultCache(path) as c:
        for i in range(n):
            c.put(point_key({"i": i}, "f", "v"), {"i": i}, {"value": "result-%04d" % i, "pad": "z" * 200})
    return path


def test_corrupted_caches_are_refused_with_a_way_out(tmp_path):
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not a database" * 100)
    _assert_cache_error(garbage)

    truncated = _filled_cache(tmp_path / "trunc.sqlite", 200)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    _assert_cache_error(truncated)

    tampered = _filled_cache(tmp_path / "tampered.sqlite")
    data = tampered.read_bytes()
    i = data.index(b"result-0007")
    tampered.write_bytes(data[:i] + b"result-9999" + data[i + 11 :])
    _assert_cache_error(tampered)

    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE other (x)")
    _assert_cache_error(foreign)

    (tmp_path / "adir").mkdir()
    _assert_cache_error(tmp_path / "adir")


def test_cli_reports_a_corrupted_cache_in_one_line(tmp_path, capsys):
    from capacity.cli import main

    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"\x00" * 4096)
    rc = main(
        [
            "scaling",
            "--preset",
            "smoke",
            "--cache",
            str(bad),
            "--out",
            str(tmp_path / "o"),
            "--no-progress",
            "--workers",
            "1",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--no-cache" in err[0]


# ---------------------------------------------------------------------------------------------
# sweeps and reports (stand-in exact columns, tiny sizes)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tiny")
    cfg = SweepConfig(**TINY)
    sr = run_sweep(
        cfg, cache=tmp / "cache.sqlite", executor=SerialExecutor(), progress=False, point_fn=standin_point
    )
    paths = write_report(sr, tmp / "out", certificates=True)
    return cfg, sr, paths, tmp


def test_tiny_sweep_exact_columns_agree_with_sat(tiny_run):
    from capacity.solvers import Problem, Status, sat

    cfg, sr, paths, tmp = tiny_run
    import pandas as pd

    mw = pd.read_csv(paths["min_width"])
    u = mw[mw.family == "uand"].iloc[0]
    # second method: SAT says width 1 is too narrow and width 2 suffices for the three pairs of m = 3
    fs = k_ands(Domain(3, 2), 2)
    assert sat.solve(Problem(fs, 1, "relu", 1)).status is Status.NOT_REPRESENTABLE
    assert sat.solve(Problem(fs, 2, "relu", 1)).status is Status.REPRESENTABLE
    assert u.n_star == 2 and u.P_star == 2 * (3 + 3)
    # every minimum width is bracketed by the counting bound and the dedicated construction
    assert (mw.n_star >= mw.counting_lb).all() and (mw.n_star <= mw.dedicated_n).all()
    assert set(paths) >= {
        "min_width",
        "capacity",
        "constructions",
        "fits",
        "table",
        "results",
        "certificates",
    }
    assert (paths["table"]).read_text().count("|") > 50
    for name in ("min_width_png", "capacity_png", "uand_png"):
        assert paths[name].stat().st_size > 1000


def test_witnesses_in_the_tiny_report_verify(tiny_run):
    import json

    from capacity.solvers import Problem, verify_witness

    cfg, sr, paths, tmp = tiny_run
    index = json.loads((paths["certificates"] / "index.json").read_text())
    assert len(index["entries"]) == sum(p.kind == "min_width" for p in sr.points)
    for e in index["entries"]:
        w = json.loads((paths["certificates"] / e["files"]["witness"]["path"]).read_text())
        from capacity.scaling import Point

        p = Point.from_dict(w["point"])
        ok, why = verify_witness(
            Problem(p.features(), e["min_width"], "relu", 1), Network.from_dict(w["network"])
        )
        assert ok, why


def test_rerun_uses_the_cache_and_gives_byte_identical_csv(tiny_run, tmp_path):
    cfg, sr, paths, tmp = tiny_run
    calls = []

    def counting_point(point):  # never called when everything is cached
        calls.append(point)
        return standin_point(point)

    sr2 = run_sweep(
        cfg, cache=tmp / "cache.sqlite", executor=SerialExecutor(), progress=False, point_fn=standin_point
    )
    assert sr2.run["computed"] == 0 and sr2.run["cached"] == len(sr.points)
    p2 = write_report(sr2, tmp_path / "again", plots=False)
    for name in ("min_width", "capacity", "constructions", "fits"):
        assert p2[name].read_bytes() == paths[name].read_bytes(), name
    # a different point function is a different cache key: nothing is reused by mistake
    sr3 = run_sweep(
        SweepConfig(**{**TINY, "columns": ("construction",)}),
        cache=tmp / "cache.sqlite",
        executor=SerialExecutor(),
        progress=False,
        point_fn=counting_point,
    )
    assert sr3.run["cached"] == 0 and len(calls) == sr3.run["points"]


def test_fresh_runs_without_cache_are_byte_identical(tmp_path):
    cfg = SweepConfig(**{**TINY, "columns": ("construction", "trained"), "instances": 1, "widths": (1, 2)})
    outs = []
    for k in range(2):
        sr = run_sweep(cfg, executor=SerialExecutor(), progress=False)
        outs.append(write_report(sr, tmp_path / f"r{k}", plots=False))
    for name in ("min_width", "capacity", "constructions", "fits"):
        assert outs[0][name].read_bytes() == outs[1][name].read_bytes(), name


def test_front_door_agrees_with_the_stand_in():
    from capacity.scaling import Point

    p = Point(
        "min_width",
        "uand",
        3,
        2,
        3,
        0,
        None,
        (),
        (
            ("activation", "relu"),
            ("method", "auto"),
            ("nonnegative", False),
            ("time_limit", 60.0),
            ("weight_bound", 1),
        ),
    )
    real, ref = run_point(p), standin_point(p)
    assert real["min_width"] == ref["min_width"] == 2 and real["proven"]


# ---------------------------------------------------------------------------------------------
# smaller pieces


def test_parse_list_ranges_and_errors():
    from capacity.commands.scaling import parse_list

    assert parse_list("1,2,4-6", int, "--widths") == (1, 2, 4, 5, 6)
    assert parse_list(" pairs , uand ", str, "--families") == ("pairs", "uand")
    assert parse_list("", int, "--widths") == ()
    for bad in ("3-1", "a", "1-x"):
        with pytest.raises(SpecError):
            parse_list(bad, int, "--widths")


def test_graphs_family_plans_every_class_and_validates_inputs():
    cfg = SweepConfig(families=("graphs",), graph_inputs=(4,), widths=(1,), columns=("min_width",))
    pts = plan(cfg)
    # 1+2+3+2+1+1 = 10 non-empty graphs on 4 vertices (A008406)
    assert len(pts) == 10 and {p.n_features for p in pts} == set(range(1, 7))
    with pytest.raises(SpecError):
        SweepConfig(families=("graphs",), graph_inputs=(7,))
    with pytest.raises(SpecError):
        SweepConfig(families=("graphs",), graph_inputs=())


def test_not_wired_results_are_never_cached(tmp_path):
    cfg = SweepConfig(**{**TINY, "columns": ("min_width",)})

    def not_wired(point):
        return {"status": "NOT_WIRED", "reason": "test"}

    sr = run_sweep(
        cfg, cache=tmp_path / "c.sqlite", executor=SerialExecutor(), progress=False, point_fn=not_wired
    )
    assert sr.run["not_wired"] == ["min_width"]
    with ResultCache(tmp_path / "c.sqlite") as c:
        assert len(c) == 0


def test_drup_files_refute_the_width_below_and_match_the_encoding():
    from capacity.drup import check_drup
    from capacity.scaling.points import drup_files
    from capacity.solvers import Problem
    from capacity.solvers.sat import encode

    fs = k_ands(Domain(3, 2), 2)  # U-AND on 3 inputs: width 1 is too narrow (SAT and brute force above)
    blobs, how = drup_files(fs, 1, {"weight_bound": 1})
    clauses = [
        [int(t) for t in line.split()[:-1]]
        for line in blobs["cnf"].decode().splitlines()
        if line and line[0] not in "cp"
    ]
    assert clauses == [list(c) for c in encode(Problem(fs, 1, "relu", 1), True)[0]]
    assert check_drup(clauses, blobs["proof"].decode().splitlines()).ok
    with pytest.raises(RuntimeError):
        drup_files(fs, 2, {"weight_bound": 1})  # width 2 computes all three: no refutation exists


def test_no_cache_run_still_writes_certificate_files(tmp_path):
    """--no-cache keeps nothing between runs, but the certificates of this run must reach the report."""
    from capacity.cli import main

    out = tmp_path / "sc"
    assert main(["scaling", "--preset", "smoke", "--columns", "min_width", "--no-cache", "--certificates",
                 "--no-progress", "--no-plots", "--out", str(out)]) == 0
    import json

    index = json.loads((out / "certificates" / "index.json").read_text())["entries"]
    lower = [e for e in index if e.get("proven") and (e.get("min_width") or 0) > 1]
    assert lower and all("proof" in e["files"] and "cnf" in e["files"] for e in lower)
    # the invocation's own log: its arguments, when it ran, what it computed, and its CPU time
    log = json.loads((out / "run.json").read_text())
    assert log["arguments"]["preset"] == "smoke" and log["arguments"]["no_cache"] is True
    assert log["started_utc"] <= log["finished_utc"] and log["stale"] == {} and log["missing"] == {}
    assert log["computed"] == log["points"] > 0 and log["cached"] == 0
    assert log["invocation_cpu_seconds"] >= log["computed_point_seconds"]["cpu"] * 0.9 > 0


def test_sweep_to_frame_has_one_row_per_point(tiny_run):
    cfg, sr, paths, tmp = tiny_run
    df = sr.to_frame()
    assert len(df) == len(sr.points) and list(df["key"]) == list(sr.keys)
    assert list(df["kind"]) == [p.kind for p in sr.points]
    # scalar result fields come through unchanged, nested ones stay out
    for i, r in enumerate(sr.results):
        for a, b in (r or {}).items():
            col = f"result.{a}"
            if isinstance(b, (dict, list, tuple)):
                assert col not in df.columns or df[col].isna().iloc[i]
            elif b is not None and not (isinstance(b, float) and b != b):
                assert df[col].iloc[i] == b
