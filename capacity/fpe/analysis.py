"""Tables and verdicts of the pre-registered FPE study (rules in docs/science-fpe.md, *Claims*).

Every comparison is paired by seed: ``a - b`` per seed, its mean and a 95 % percentile bootstrap interval over
seeds (:func:`paired_ci`, one fixed generator seed, so the intervals are reproducible). A *case* is one
comparison at one point; a claim's verdict counts cases (:func:`verdict`).
"""

from __future__ import annotations

import numpy as np

from .metrics import fold_regression
from .study import BASELINE_VARIANTS, FPE_VARIANTS

__all__ = ["claims", "fold_fits", "paired_ci", "pair_table", "point_table", "verdict"]

KEYS = ["data", "n", "alpha", "variant"]
_ORDER = ("dense", *FPE_VARIANTS, *BASELINE_VARIANTS, "untrained", "shuffled", "linear")


def paired_ci(diffs, resamples: int = 10000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of ``diffs`` and the 2.5 / 97.5 percentiles of the means of ``resamples`` bootstrap resamples."""
    d = np.asarray(diffs, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return (np.nan, np.nan, np.nan)
    idx = np.random.default_rng(seed).integers(0, d.size, size=(resamples, d.size))
    means = d[idx].mean(axis=1)
    return float(d.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def verdict(los, his, sign: int = 1) -> str:
    """``supported`` if the interval lies on the claimed side in >= half of the cases and on the other side in
    < a quarter; ``refuted`` if on the other side in >= half; else ``mixed`` (``no cases`` when empty)."""
    lo, hi = np.asarray(los, float), np.asarray(his, float)
    if lo.size == 0:
        return "no cases"
    good = (lo > 0) if sign > 0 else (hi < 0)
    bad = (hi < 0) if sign > 0 else (lo > 0)
    if good.mean() >= 0.5 and bad.mean() < 0.25:
        return "supported"
    if bad.mean() >= 0.5:
        return "refuted"
    return "mixed"


def _wide(df, value="test"):
    """``{(data, n, alpha, variant): Series over seeds}``; dense and controls have ``alpha = None``."""
    out = {}
    for key, g in df.groupby(KEYS, dropna=False, sort=False):
        a = None if g.alpha.isna().all() else int(key[2])
        n = None if g.n.isna().all() else int(key[1])
        out[(key[0], n, a, key[3])] = g.set_index("seed")[value]
    return out


def _diff(w, a, b):
    x, y = w.get(a), w.get(b)
    if x is None or y is None:
        return None
    both = x.index.intersection(y.index)
    return (x[both] - y[both]).to_numpy()


def _overloaded(df, data, n) -> bool:
    """A Boolean point with more clauses than neurons."""
    nc = df.loc[df.data == data, "n_clauses"].iloc[0]
    return bool(np.isfinite(nc) and nc / n > 1)


def excluded_points(df) -> set:
    """(data, n) where dense is within 0.02 of the shuffled-label control (nothing learnt): out of the verdicts."""
    m = df.groupby(["data", "n", "variant"]).test.mean()
    out = set()
    for (data, n, v), val in m.items():
        if v == "dense" and (data, n, "shuffled") in m and val - m[(data, n, "shuffled")] < 0.02:
            out.add((data, int(n)))
    return out


def point_table(df, resamples: int = 10000, seed: int = 0):
    """One row per (data, n, alpha, variant): accuracies, the paired difference to dense n with its interval,
    seeds up, chosen rate, convergence, and the interpretation columns with their fold change against dense."""
    import pandas as pd

    acc, rows = _wide(df), []
    folds = {c: _wide(df, c) for c in ("capacity", "cos") if c in df}
    for key, g in df.groupby(KEYS, dropna=False, sort=False):
        data, n, a, v = key
        n = None if pd.isna(n) else int(n)
        a = None if pd.isna(a) else int(a)
        dense = (data, n, None, "dense")
        d = _diff(acc, (data, n, a, v), dense) if v != "linear" else None
        mean, lo, hi = paired_ci(d, resamples, seed) if d is not None and v != "dense" else (np.nan,) * 3
        row = {"data": data, "n": n, "alpha": a, "variant": v,
               "clauses_per_neuron": g.n_clauses.iloc[0] / n if n else np.nan,
               "test": g.test.mean(), "test_sd": g.test.std(), "train": g.train.mean(), "seeds": len(g),
               "diff_vs_dense": mean, "ci_lo": lo, "ci_hi": hi,
               "seeds_up": int((d > 0).sum()) if d is not None and v != "dense" else np.nan,
               "lr": g.lr.iloc[0], "steps": g.steps.median(), "steps_max": int(g.steps.max()),
               "converged": g.converged.mean() if "converged" in g else np.nan, "loss_end": g.loss_end.mean(),
               "loss_drop_second_half": g.loss_drop_second_half.mean(),
               "free_weights": g.free_weights.iloc[0], "budget": g.budget.iloc[0], "width": int(g.width.iloc[0])}
        for c in ("coverage", "collision"):
            if c in g:
                row[c] = g[c].mean()
        for c, w in folds.items():
            row[c] = g[c].mean()
            f = None
            if v not in ("dense", "linear") and (data, n, a, v) in w and dense in w:
                x, y = w[(data, n, a, v)], w[dense]
                both = x.index.intersection(y.index)
                f = (x[both] / y[both]).to_numpy()
            row[f"{c}_fold"] = float(np.nanmean(f)) if f is not None else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out["_o"] = out.variant.map({v: i for i, v in enumerate(_ORDER)})
    out["_a"] = out.alpha.fillna(0)
    out = out.sort_values(["data", "n", "_a", "_o"], kind="stable").drop(columns=["_o", "_a"])
    return out.reset_index(drop=True)


def pair_table(df, resamples: int = 10000, seed: int = 0):
    """Every comparison the claims use: one row per (claim, data, n, alpha, a, b) with mean and interval of a - b."""
    import pandas as pd

    w, rows = _wide(df), []
    cos, cap = _wide(df, "cos") if "cos" in df else {}, _wide(df, "capacity") if "capacity" in df else {}
    excluded = excluded_points(df)
    points = df[df.alpha.notna()][["data", "n", "alpha"]].drop_duplicates().itertuples(index=False)
    for data, n, a in points:
        n, a = int(n), int(a)
        scope = "boolean" if data.startswith("boolean") else "real"
        over = _overloaded(df, data, n) if scope == "boolean" else True
        base = {"data": data, "n": n, "alpha": a, "scope": scope, "overloaded": over,
                "excluded": (data, n) in excluded}
        splits = [s for s in ("clause", "gram", "random") if (data, n, a, f"fpe-{s}-warm") in w]

        def add(claim, x, y, sub=None, alpha=a):
            d = _diff(w, (data, n, alpha, x), y if isinstance(y, tuple) else (data, n, a, y))
            if d is None:
                return
            m, lo, hi = paired_ci(d, resamples, seed)
            rows.append({**base, "claim": claim, "part": sub or "", "a": x,
                         "b": y[3] + (f" (alpha {y[2]})" if y[2] else "") if isinstance(y, tuple) else y,
                         "mean": m, "ci_lo": lo, "ci_hi": hi, "seeds_up": int((d > 0).sum()), "seeds": len(d)})

        for t in ("init", "warm"):
            if scope == "boolean":
                add("1 ordering", f"fpe-clause-{t}", f"fpe-gram-{t}", t)
                add("1 ordering", f"fpe-gram-{t}", f"fpe-random-{t}", t)
            add("1 ordering", f"fpe-random-{t}", (data, n, None, "dense"), t)
        for s in splits:
            add("2 earlier split", f"fpe-{s}-init", f"fpe-{s}-warm")
            if a != 2 and (data, n, 2, f"fpe-{s}-warm") in w:
                for t in ("init", "warm"):
                    add("3 wider", f"fpe-{s}-{t}", (data, n, 2, f"fpe-{s}-{t}"), alpha=a)
            for t in ("init", "warm"):
                v = f"fpe-{s}-{t}"
                for name, ww, sign in (("cos", cos, -1), ("capacity", cap, 1)):
                    x, y = ww.get((data, n, a, v)), ww.get((data, n, None, "dense"))
                    if x is None or y is None:
                        continue
                    both = x.index.intersection(y.index)
                    m, lo, hi = paired_ci((x[both] / y[both]).to_numpy() - 1, resamples, seed)
                    rows.append({**base, "claim": "4 polysemanticity", "part": name, "a": v, "b": "dense",
                                 "mean": m, "ci_lo": lo, "ci_hi": hi, "sign": sign, "seeds": len(both),
                                 "seeds_up": int((x[both] / y[both] > 1).sum())})
        for b in ("sparse", "pruned", "dropconnect"):
            for s in ("random", "clause"):
                add("5 vs baselines", f"fpe-{s}-warm", b)
    return pd.DataFrame(rows)


def claims(pairs):
    """The verdict of each claim and scope (Boolean over-loaded points, Boolean n above the clause count as
    contrast, real data), from :func:`pair_table` by the pre-registered rules."""
    import pandas as pd

    rows = []
    p = pairs[~pairs.excluded]
    scopes = (("boolean, over-loaded", (p.scope == "boolean") & p.overloaded),
              ("boolean, under-loaded (contrast)", (p.scope == "boolean") & ~p.overloaded),
              ("real data", p.scope == "real"))
    for scope, sel in scopes:
        q = p[sel]
        if q.empty:
            continue
        o = q[q.claim == "1 ordering"]
        for t in ("init", "warm"):
            ot = o[o.part == t]
            if ot.empty:
                continue
            if scope.startswith("boolean"):
                holds = contra = n_pts = 0
                for _, g in ot.groupby(["data", "n", "alpha"]):
                    n_pts += 1
                    lo, hi = g.ci_lo.to_numpy(), g.ci_hi.to_numpy()
                    rd = g.b.str.startswith("dense").to_numpy()
                    holds += bool((lo[~rd] > 0).all() and not (hi[rd] < 0).any())
                    contra += bool((hi < 0).any())
                v = ("supported" if holds >= n_pts / 2 and contra < n_pts / 4 else
                     "refuted" if contra >= n_pts / 2 else "mixed")
                rows.append({"claim": f"1 ordering clause > Gram > random >= dense ({t} split)", "scope": scope,
                             "cases": n_pts, "for": holds, "against": contra, "verdict": v})
            for (a, b), g in ot.groupby(["a", "b"], sort=False):
                sign = 1
                rows.append({"claim": f"1 pair {a} > {b}", "scope": scope, "cases": len(g),
                             "for": int((g.ci_lo > 0).sum()), "against": int((g.ci_hi < 0).sum()),
                             "verdict": verdict(g.ci_lo, g.ci_hi, sign)})
        for claim, label in (("2 earlier split", "2 earlier split is better (init > warm)"),
                             ("3 wider", "3 wider helps (alpha 4 > alpha 2)"),
                             ("5 vs baselines", "5 FPE (warm) beats the equal-budget baselines")):
            g = q[q.claim == claim]
            if len(g):
                rows.append({"claim": label, "scope": scope, "cases": len(g), "for": int((g.ci_lo > 0).sum()),
                             "against": int((g.ci_hi < 0).sum()), "verdict": verdict(g.ci_lo, g.ci_hi)})
        g = q[q.claim == "4 polysemanticity"]
        if len(g):
            cos, cap = g[g.part == "cos"], g[g.part == "capacity"]
            both = len(cos)
            ok = int(((cos.ci_hi.to_numpy() < 0) & (cap.ci_lo.to_numpy() > 0)).sum())
            bad = int(((cos.ci_lo.to_numpy() > 0) | (cap.ci_hi.to_numpy() < 0)).sum())
            v = "supported" if ok >= both / 2 and bad < both / 4 else "refuted" if bad >= both / 2 else "mixed"
            rows.append({"claim": "4 polysemanticity drops (|cos| fold < 1 and capacity fold > 1)", "scope": scope,
                         "cases": both, "for": ok, "against": bad, "verdict": v})
    return pd.DataFrame(rows)


def fold_fits(df):
    """Per data set and FPE variant: least squares of the accuracy gain over dense on the fold change of feature
    capacity and of mean |cos| (all points and seeds)."""
    import pandas as pd

    w_acc, w_cap, w_cos = _wide(df), _wide(df, "capacity"), _wide(df, "cos")
    rows = []
    for data in df.data.unique():
        for v in FPE_VARIANTS:
            gain, fcap, fcos = [], [], []
            for key in w_acc:
                if key[0] != data or key[3] != v:
                    continue
                dense = (data, key[1], None, "dense")
                if dense not in w_acc:
                    continue
                both = w_acc[key].index.intersection(w_acc[dense].index)
                gain += (w_acc[key][both] - w_acc[dense][both]).tolist()
                fcap += (w_cap[key][both] / w_cap[dense][both]).tolist()
                fcos += (w_cos[key][both] / w_cos[dense][both]).tolist()
            if not gain:
                continue
            for metric, x in (("capacity_fold", fcap), ("cos_fold", fcos)):
                f = fold_regression(x, gain)
                rows.append({"data": data, "variant": v, "metric": metric, "mean_fold": float(np.mean(x)),
                             "mean_gain": float(np.mean(gain)), **f})
    return pd.DataFrame(rows)
