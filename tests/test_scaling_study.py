"""Tests of the scaling study (issue 11): projection into the exact class, balanced training, bisection
searches, out-of-sample fits, the superposed-readout counting bound, exact function counts, cache keys
that follow the source, UNKNOWN rows in medians, and the command's bad input."""

from __future__ import annotations

import shutil
from math import comb

import numpy as np
import pytest

from capacity.domain import Domain
from capacity.errors import SpecError
from capacity.features import k_ands
from capacity.network import Network
from capacity.scaling import SweepConfig, plan, point_key, run_point
from capacity.scaling.bounds import counting_min_width_superposed, domain_size
from capacity.scaling.cache import source_hash
from capacity.scaling.constructions import build, construction_min_width, pairs_of
from capacity.scaling.outofsample import local_exponent, out_of_sample
from capacity.train import TrainConfig, project_to_integers


def _truth(W, b, V, c, X):
    """Plain integer forward pass (independent of capacity.network)."""
    H = np.maximum(X @ np.asarray(W).T + np.asarray(b), 0)
    return (H @ np.asarray(V).T + np.asarray(c)) >= 0


# ---------------------------------------------------------------------------------------------
# project-then-verify


@pytest.mark.parametrize("m,seed", [(4, 0), (5, 1), (6, 2)])
def test_projection_recovers_a_rescaled_integer_network(m, seed):
    # a real network that is an integer network with every unit and readout rescaled by positive factors
    d = Domain(m, 2)
    fs = k_ands(d, 2)
    pairs = pairs_of(fs)
    n = len(pairs)
    W = np.zeros((n, m))
    for i, (a, b_) in enumerate(pairs):
        W[i, [a, b_]] = 1
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.2, 5.0, n)
    t = rng.uniform(0.2, 5.0, n)
    V = np.eye(n) / s[None, :] * t[:, None]
    net = Network(W * s[:, None], -np.ones(n) * s, V, -0.5 * t, "relu")
    q, comp = project_to_integers(net, fs, 1)
    assert comp.all()
    for a in (q.W_in, q.b_in, q.W_out, q.b_out):
        assert np.issubdtype(a.dtype, np.integer)
    assert np.abs(q.W_in).max() <= 1 and np.abs(q.W_out).max() <= 1
    X = d.points.astype(np.int64)
    assert np.array_equal(_truth(q.W_in, q.b_in, q.W_out, q.b_out, X).T, np.asarray(fs.bits, dtype=bool))


def test_projection_of_trained_networks_is_verified_independently():
    from capacity.tasks import Task
    from capacity.train import train

    d = Domain(6, 2)
    fs = k_ands(d, 2)
    res = train([Task("kand", d, fs, {}, 0)], TrainConfig(hidden=(8,), steps=800, lr=0.03, balance=True),
                seeds=(0, 1), progress=False)
    assert res.computed.all(axis=1).any(), "balanced training computes U-AND m=6 at width 8"
    X = d.points.astype(np.int64)
    T = np.asarray(fs.bits, dtype=bool)
    for net in res.networks:
        for K in (1, 2):
            q, comp = project_to_integers(net, fs, K)
            assert np.abs(q.W_in).max() <= K and np.abs(q.W_out).max() <= K
            mine = (_truth(q.W_in, q.b_in, q.W_out, q.b_out, X).T == T).all(axis=1)
            assert np.array_equal(mine, comp)


def test_balance_must_be_a_bool():
    with pytest.raises(Exception, match="balance"):
        TrainConfig(balance="yes")


# ---------------------------------------------------------------------------------------------
# bisection searches


@pytest.mark.parametrize("name,grid", [("hanni_uand", {"p": (0.3, 0.5, 0.7)}), ("sparse_code", {"channel_size": (1, 2, 3)})])
def test_construction_bisection_returns_a_success_whose_predecessor_fails(name, grid):
    d = Domain(10, 2)
    pairs = pairs_of(k_ands(d, 2, 20, seed=3))
    best, log = construction_min_width(name, d, pairs, max_width=128, seed=1, grid=grid, search="bisect")
    assert best is not None and best.all_computed
    w = best.d_hidden
    assert any(e["d_hidden"] == w - 1 for e in log) or w == 1
    combos = [dict(zip(sorted(grid), v)) for v in __import__("itertools").product(*[grid[k] for k in sorted(grid)])]
    if w > 1:  # independent re-check: no grid setting computes every pair at w - 1
        for params in combos:
            if params.get("channel_size", 1) <= w - 1:
                assert not build(name, d, pairs, w - 1, seed=1, **params).all_computed


def test_trained_width_point_is_consistent_and_not_below_the_exact_width():
    from capacity.solvers import min_width

    cfg = SweepConfig(families=("uand",), uand_inputs=(4,), columns=("trained_width",), scan_steps=400,
                      scan_seeds=2)
    (p,) = plan(cfg)
    r = run_point(p)
    F = 6
    tried = {t["width"]: t for t in r["tried"]}
    exact = min_width(p.features(), weight_bound=1).min_width
    assert exact == 3
    for crit in ("real", "projected"):
        w, below = r[f"{crit}_width"], r[f"{crit}_failed_below"]
        assert w is not None and max(tried[w][crit]) == F
        assert below is None or max(tried[below][crit]) < F
    assert r["projected_width"] >= exact  # same class: never below the proven minimum


# ---------------------------------------------------------------------------------------------
# out-of-sample fits


def _planted(alpha, seed=0):
    rng = np.random.default_rng(seed)
    xs = np.array([6, 12, 24, 48, 96, 192, 384, 512] * 4, dtype=float)  # 4 sizes per half
    groups = np.repeat(np.arange(4), 8)
    ys = 1.5 * xs**alpha * np.exp(rng.normal(0, 0.03, len(xs)))
    return xs, ys, groups


def test_out_of_sample_recovers_a_planted_exponent_and_predicts_the_large_half():
    x, y, g = _planted(0.6)
    r = out_of_sample(x, y, g)
    lo, hi = r["alpha_large_ci"]
    assert lo <= 0.6 <= hi and abs(r["alpha_small"] - 0.6) < 0.05
    assert r["powerlaw_oos_rmse"] < 0.1 and r["bootstrap"] == "groups"


def test_out_of_sample_verdicts_can_fail_both_ways():
    fast = out_of_sample(*_planted(1.0))
    assert fast["forms"]["as_2and"]["verdict"].startswith("contradicted")
    assert fast["forms"]["as_lower"]["verdict"] == "not contradicted"
    slow = out_of_sample(*_planted(0.25))
    assert slow["forms"]["as_lower"]["verdict"].startswith("contradicted")
    assert slow["forms"]["as_2and"]["verdict"] == "supported"


def test_local_exponent_of_the_forms():
    # sqrt(x ln x): slope 1/2 + 1/(2 ln x) locally; between e^4 and e^6 exactly 1/2 + ln(6/4)/4
    assert local_exponent("as_lower", np.e**4, np.e**6) == pytest.approx(0.5 + np.log(1.5) / 4)
    assert local_exponent("as_2and", np.e**2, np.e**4) == pytest.approx(0.5 + np.log(2) / 2)


# ---------------------------------------------------------------------------------------------
# the counting bound with the readout in superposition


def _behaviours(m, s, n, r, K):  # written separately from capacity.scaling.bounds
    N = sum(comb(m, j) for j in range(min(s, m) + 1))
    per_unit = (2 * K + 1) ** m * (2 * min(s, m) * K + 1)
    per_readout = (2 * K + 1) ** n * (N + 1)
    return per_unit**n * per_readout**r


@pytest.mark.parametrize("m,mp", [(6, 15), (16, 60), (64, 6), (64, 96), (64, 512)])
def test_superposed_counting_bound_is_the_first_width_that_counts_enough(m, mp):
    n = counting_min_width_superposed(m, 2, mp, 1)
    target = comb(comb(m, 2), mp)
    assert _behaviours(m, 2, n, n, 1) >= target
    assert n == 1 or _behaviours(m, 2, n - 1, n - 1, 1) < target


def test_superposed_counting_bound_bites_at_scale():
    vals = [counting_min_width_superposed(64, 2, k, 1) for k in (6, 48, 192, 512)]
    assert vals == sorted(vals) and vals[-1] >= 10 and vals[0] == 1


# ---------------------------------------------------------------------------------------------
# exact function counts


A000609 = (2, 4, 14, 104, 1882)  # threshold functions of k variables (published sequence)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_count_point_of_one_real_step_unit_is_a000609(k):
    from capacity.scaling.points import Point

    r = run_point(Point("count", "all", k, None, 0, 0, 1, (), (("activation", "step"), ("weight_bound", None))))
    assert r["count"] == A000609[k]


# ---------------------------------------------------------------------------------------------
# cache keys follow the source


def test_source_hash_changes_with_an_edit_of_the_code_that_computed_the_point(tmp_path):
    import capacity

    src = tmp_path / "capacity"
    shutil.copytree(capacity.__path__[0], src, ignore=shutil.ignore_patterns("__pycache__"))
    before = {k: source_hash(k, src) for k in ("construction", "trained_width", "min_width")}
    assert before["construction"] == source_hash("construction")  # a copy hashes like the package
    with open(src / "scaling" / "constructions.py", "a") as fh:
        fh.write("\n# an edit\n")
    after = {k: source_hash(k, src) for k in before}
    assert after["construction"] != before["construction"]
    assert after["trained_width"] == before["trained_width"]  # other kinds keep their cached points
    key = lambda h: point_key({"kind": "construction"}, "f", f"v/2/{h}")  # noqa: E731
    assert key(after["construction"]) != key(before["construction"])
    with open(src / "network.py", "a") as fh:  # shared by every kind
        fh.write("\n# an edit\n")
    assert all(source_hash(k, src) != after[k] for k in before)


# ---------------------------------------------------------------------------------------------
# reports: UNKNOWN rows are shown, never dropped from a median


def test_unknown_rows_are_counted_beside_the_median():
    import pandas as pd

    from capacity.scaling.report import _nstar_cell

    g = pd.DataFrame(
        {
            "n_star": [2, 3, None],
            "proven": [True, True, False],
            "n_star_lower": [2, 3, 3],
            "n_star_upper": [2, 3, 5],
            "exact_status": ["PROVEN", "PROVEN", "UNKNOWN"],
        }
    )
    cell = _nstar_cell(g)
    assert cell.startswith("2.5 [2–3]") and "1 UNKNOWN" in cell and "3–5" in cell


# ---------------------------------------------------------------------------------------------
# configuration and CLI bad input (before any work)


@pytest.mark.parametrize(
    "kw,msg",
    [
        ({"uand_inputs": (3, 16)}, "beyond the exact limit"),
        ({"families": ("pairs",), "inputs": (20,), "feature_counts": (3,)}, "beyond the exact limit"),
        ({"activation": "step"}, "class mismatch"),
        ({"nonnegative": True}, "class mismatch"),
        ({"count_inputs": (7,)}, "count inputs <= 6"),
        ({"scan_steps": 0}, ">= 1"),
    ],
)
def test_bad_study_specs_are_one_line_spec_errors(kw, msg):
    with pytest.raises(SpecError) as exc:
        SweepConfig(**kw)
    assert msg in str(exc.value) and "\n" not in str(exc.value)


def test_exact_domain_limit_is_about_points():
    assert domain_size(12, 2) <= 128 < domain_size(16, 2)
    SweepConfig(families=("uand",), uand_inputs=(12,), columns=("min_width",))  # accepted


@pytest.mark.parametrize("kind", ["file", "missing_parent", "beyond_limit", "cube", "class_mismatch"])
def test_cli_bad_out_and_ladders_exit_2_before_any_work(kind, tmp_path, capsys):
    import time

    from capacity.cli import main

    out = tmp_path / "o"
    extra = []
    if kind == "file":
        out.write_text("x")
    elif kind == "missing_parent":
        out = tmp_path / "nope" / "o"
    elif kind == "beyond_limit":
        extra = ["--uand-inputs", "3,16"]
    elif kind == "class_mismatch":  # step exact columns beside ReLU trained networks: the table cannot label it
        extra = ["--activation", "step"]
    else:
        extra = ["--sparsity", "none", "--families", "uand", "--uand-inputs", "8"]
    t0 = time.perf_counter()
    rc = main(["scaling", "--preset", "full", "--no-cache", "--out", str(out), "--no-progress", *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("capacity scaling: error:"), err
    assert time.perf_counter() - t0 < 5


def test_presets_are_smoke_quick_full_and_quick_is_the_default():
    import argparse

    from capacity.commands import scaling
    from capacity.scaling.sweep import PRESETS

    assert list(PRESETS) == ["smoke", "quick", "full"]
    p = argparse.ArgumentParser()
    scaling.add_arguments(p)
    assert p.parse_args(["--out", "x"]).preset == "quick"
    with pytest.raises(SystemExit):
        p.parse_args([])  # --out is required


# ---------------------------------------------------------------------------------------------
# a report of a stopped run: missing points listed, results of an earlier code version marked stale


def test_report_only_marks_missing_and_stale_points(tmp_path):
    from capacity.scaling import ResultCache, run_sweep

    cfg = SweepConfig(families=("uand",), uand_inputs=(3, 4), columns=("construction",), constructions=("dedicated",))
    points = plan(cfg)
    assert len(points) == 2
    with ResultCache(tmp_path / "c.sqlite") as cache:
        cache.put("an-old-key", points[0].to_dict(), {"construction": "dedicated", "max_width": 3, "per_seed": []})
        sr = run_sweep(cfg, cache=cache, progress=False, compute=False)
    assert sr.run["computed"] == 0 and sr.run["cached"] == 1
    assert sr.run["stale"] == {"construction": 1} and sr.run["missing"] == {"construction": 1}
    assert sr.keys[0] == "an-old-key" and sr.results[1] is None


# ---------------------------------------------------------------------------------------------
# exact step columns: real weights reduce to bounded integers (Muroga), checked by an independent brute force


def _separable(pos, neg) -> bool:
    """Strict linear separability of two point sets by linear programming (real weights, independent of
    Muroga's bound and of the SAT encoding): w.x + b >= 1 on ``pos``, <= -1 on ``neg``."""
    from scipy.optimize import linprog

    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    d = (pos if len(pos) else neg).shape[1]
    A = np.vstack([-np.hstack([pos, np.ones((len(pos), 1))]), np.hstack([neg, np.ones((len(neg), 1))])])
    res = linprog(np.zeros(d + 1), A_ub=A, b_ub=-np.ones(len(A)), bounds=[(None, None)] * (d + 1),
                  method="highs")
    return res.status == 0


def _threshold_tables(X) -> np.ndarray:
    """Every dichotomy of the rows of ``X`` that a real-weight step unit computes, as boolean rows."""
    N = len(X)
    out = []
    for t in range(2 ** N):
        lab = np.array([(t >> i) & 1 for i in range(N)], dtype=bool)
        if _separable(X[lab], X[~lab]):
            out.append(lab)
    return np.array(out)


def _brute_real_step_min_width(fs, max_n: int) -> int | None:
    """Smallest n <= max_n such that some n real step units plus one real step readout per feature compute
    every feature on the domain (n <= 2: hidden codes are 2-bit; readouts are threshold functions of them)."""
    X = fs.domain.points.astype(float)
    T = np.asarray(fs.bits, dtype=bool)  # (F, N)
    H = _threshold_tables(X)  # (D, N)
    G = {n: _threshold_tables(np.array([[(c >> (n - 1 - j)) & 1 for j in range(n)] for c in range(2 ** n)]))
         for n in range(1, max_n + 1)}  # threshold functions of n bits, as tables over the 2^n codes
    for n in range(1, max_n + 1):
        if n == 1:
            codes = H.astype(np.int64)  # (P, N)
        else:
            i, j = np.triu_indices(len(H))
            codes = 2 * H[i].astype(np.int64) + H[j].astype(np.int64)
        ok = np.ones(len(codes), dtype=bool)
        for f in T:
            ok &= (G[n][:, codes] == f).all(axis=2).any(axis=0)
        if ok.any():
            return n
    return None


@pytest.mark.parametrize("family,m,mp,inst", [("uand", 3, 3, 0), ("uand", 4, 6, 0), ("pairs", 4, 2, 0),
                                              ("pairs", 4, 3, 1)])
def test_real_weight_step_min_width_matches_an_lp_brute_force(family, m, mp, inst):
    from capacity.scaling.points import family_features
    from capacity.solvers import min_width

    fs = family_features(family, m, 2, mp, inst)
    r = min_width(fs, activation="step", weight_bound=None)
    assert r.proven
    brute = _brute_real_step_min_width(fs, 2)
    # brute force decides widths 1 and 2; a larger n* shows as None (no hidden layer of width <= 2 works)
    assert brute == (r.min_width if r.min_width <= 2 else None)
    assert r.min_width <= min_width(fs, activation="step", weight_bound=1).min_width  # [-1, 1] is inside the reals


def test_step_real_column_plans_both_step_classes_and_checks_the_domain_limit():
    cfg = SweepConfig(families=("uand",), uand_inputs=(3,), columns=("step_real",), step_uand_inputs=(5,))
    pts = plan(cfg)
    assert {(p.m, p.opts["activation"], p.opts["weight_bound"]) for p in pts} == {
        (3, "step", None), (3, "step", 1), (5, "step", None), (5, "step", 1)}
    with pytest.raises(SpecError, match="beyond the exact limit"):
        SweepConfig(families=("uand",), uand_inputs=(3,), columns=("step_real",), step_uand_inputs=(16,))
