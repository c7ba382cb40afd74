"""Fits that can fail: fit each column's growth on the small half of the m' range, predict the large half.

The procedure and the verdict rules are fixed in ``docs/scaling.md`` (written before the runs). For one
column (points ``(m', n)`` labelled by group: instance, or instance and seed):

* the distinct ``m'`` values are split at their median (small half: ``m' <= median``);
* a free power law ``ln n = a + alpha ln m'`` is fitted on the small half (least squares); its prediction
  on the large half gets a 95% bootstrap band (groups resampled with replacement when there are at least 3
  groups, points otherwise; seeded);
* every theory form ``n = c g(m')`` gets its constant from the small half (least squares in log space) and
  is scored on the large half;
* the exponent is fitted on the whole range and on the large half alone, with bootstrap intervals.

Verdicts compare the large-half exponent interval with the form's *local exponent* (the log-log slope of
``g`` across the large half): an upper-bound form is contradicted when the interval lies entirely above it,
the lower bound when the interval lies entirely below it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FORMS", "local_exponent", "out_of_sample", "column_series", "all_out_of_sample"]

B_RESAMPLES = 2000
#: verdicts need at least this many distinct m' in each half
MIN_SIZES_PER_HALF = 3


def _uand_m(x):
    return (1 + np.sqrt(1 + 8 * np.asarray(x, dtype=float))) / 2


#: theory forms as functions of m' (U-AND: m' = C(m, 2)); side: what the theorem bounds
FORMS = {
    "as_lower": ("√(m' ln m') (Adler–Shavit lower bound)", "lower", lambda x: np.sqrt(x * np.log(x))),
    "as_2and": ("√m' ln m' (Adler–Shavit 2-AND construction)", "upper", lambda x: np.sqrt(x) * np.log(x)),
    "hanni": ("m^(2/3) (Hänni et al. U-AND)", "upper", lambda x: _uand_m(x) ** (2 / 3)),
}


def local_exponent(form: str, x_lo: float, x_hi: float) -> float:
    """Log-log slope of the form between ``x_lo`` and ``x_hi``."""
    g = FORMS[form][2]
    return float((np.log(g(x_hi)) - np.log(g(x_lo))) / (np.log(x_hi) - np.log(x_lo)))


def _ols(lx, ly):
    if len(set(lx.tolist())) < 2:
        return None
    A = np.vstack([lx, np.ones_like(lx)]).T
    (alpha, a), *_ = np.linalg.lstsq(A, ly, rcond=None)
    return float(alpha), float(a)


def _resamples(groups, rng):
    uniq = sorted(set(groups.tolist()))
    by_group = len(uniq) >= 3
    idx_of = {g: np.flatnonzero(groups == g) for g in uniq}
    for _ in range(B_RESAMPLES):
        if by_group:
            pick = rng.choice(len(uniq), size=len(uniq), replace=True)
            yield np.concatenate([idx_of[uniq[i]] for i in pick])
        else:
            yield rng.choice(len(groups), size=len(groups), replace=True)


def out_of_sample(x, y, groups, forms=("as_lower", "as_2and"), seed: int = 0) -> dict | None:
    """The small-half/large-half test of one column (module docstring). Returns None with fewer than 4
    distinct ``m'`` values (no halves of at least 2 values each)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    groups = np.asarray(groups)
    ok = (x > 1) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    x, y, groups = x[ok], y[ok], groups[ok]
    xs = np.unique(x)
    if len(xs) < 4:
        return None
    cut = float(np.median(xs))
    small, large = x <= cut, x > cut
    lx, ly = np.log(x), np.log(y)
    rng = np.random.default_rng(seed)
    fit_all, fit_small, fit_large = _ols(lx, ly), _ols(lx[small], ly[small]), _ols(lx[large], ly[large])
    xl = np.unique(x[large])
    boot = {"all": [], "small": [], "large": [], "pred": []}
    for idx in _resamples(groups, rng):
        bx, by = lx[idx], ly[idx]
        bs, bl = bx <= np.log(cut), bx > np.log(cut)
        fa, fs, fl = _ols(bx, by), _ols(bx[bs], by[bs]), _ols(bx[bl], by[bl])
        if fa:
            boot["all"].append(fa[0])
        if fl:
            boot["large"].append(fl[0])
        if fs:
            boot["small"].append(fs[0])
            boot["pred"].append(fs[1] + fs[0] * np.log(xl))

    def ci(v):
        return [round(float(q), 4) for q in np.percentile(v, [2.5, 97.5])] if len(v) else [None, None]

    band = np.percentile(np.array(boot["pred"]), [2.5, 97.5], axis=0) if boot["pred"] else None
    med_large = np.array([np.median(ly[x == v]) for v in xl])
    pred = fit_small[1] + fit_small[0] * np.log(xl)
    out = {
        "split_at": cut,
        "n_points": int(len(x)),
        "n_groups": int(len(set(groups.tolist()))),
        "bootstrap": "groups" if len(set(groups.tolist())) >= 3 else "points",
        "alpha_all": round(fit_all[0], 4),
        "alpha_all_ci": ci(boot["all"]),
        "alpha_small": round(fit_small[0], 4),
        "alpha_small_ci": ci(boot["small"]),
        "alpha_large": None if fit_large is None else round(fit_large[0], 4),
        "alpha_large_ci": ci(boot["large"]),
        "powerlaw_oos_rmse": round(float(np.sqrt(np.mean((med_large - pred) ** 2))), 4),
        "powerlaw_large_inside_band": None
        if band is None
        else f"{int(((med_large >= band[0] - 1e-12) & (med_large <= band[1] + 1e-12)).sum())}/{len(xl)}",
        "band_x": xl.tolist(),
        "band_lo": None if band is None else np.exp(band[0]).round(4).tolist(),
        "band_hi": None if band is None else np.exp(band[1]).round(4).tolist(),
        "fit_small_a": round(fit_small[1], 4),
        "forms": {},
    }
    lo_ci, hi_ci = out["alpha_large_ci"]
    few = min(len(np.unique(x[small])), len(xl)) < MIN_SIZES_PER_HALF
    for f in forms:
        g = FORMS[f][2]
        c = float(np.exp(np.mean(ly[small] - np.log(g(x[small])))))
        rmse = float(np.sqrt(np.mean((med_large - np.log(c * g(xl))) ** 2)))
        loc = local_exponent(f, float(xl.min()), float(xl.max()))
        side = FORMS[f][1]
        if few:
            verdict = f"undecided (fewer than {MIN_SIZES_PER_HALF} sizes in a half)"
        elif lo_ci is None:
            verdict = "undecided (no large-half interval)"
        elif side == "upper":
            verdict = "contradicted (grows faster)" if lo_ci > loc else "supported"
        else:
            verdict = "contradicted (grows slower)" if hi_ci < loc else "not contradicted"
        out["forms"][f] = {
            "c_small_half": round(c, 4),
            "oos_rmse": round(rmse, 4),
            "local_exponent_large_half": round(loc, 4),
            "verdict": verdict,
        }
    return out


def column_series(mw, cons) -> list[tuple[str, str, str, object]]:
    """``(family, column, class, DataFrame[x, y, group])`` for every column with data: exact n* (proven),
    trained real and projected widths (per instance), constructions (per instance and seed)."""
    import pandas as pd

    out = []
    if mw is not None and len(mw):
        for fam in ("uand", "pairs"):
            g = mw[mw.family == fam]
            specs = [
                ("exact n*", "ReLU, integer weights in [-1, 1] (exact)", "n_star"),
                ("trained, projected to integers", "ReLU, integer weights in [-1, 1] (verified)", "trained_int_n"),
                ("trained, real weights", "ReLU, real weights (verified)", "trained_real_n"),
            ]
            for name, cls, col in specs:
                if col not in g.columns:
                    continue
                d = g.dropna(subset=[col])
                if col == "n_star" and "proven" in d.columns:
                    d = d[d.proven == True]  # noqa: E712
                for m_val, dm in _by_m(d, fam):
                    out.append(
                        (fam, name + m_val, cls, pd.DataFrame({"x": dm.n_features, "y": dm[col], "group": dm.instance}))
                    )
    if cons is not None and len(cons):
        ok = cons.dropna(subset=["min_width"])
        for fam in ("uand", "pairs"):
            for c, cls in (
                ("hanni_uand", "ReLU, weights in {0, 1} (construction, verified)"),
                ("sparse_code", "ReLU, weights in {0, 1} (construction, verified)"),
            ):
                d = ok[(ok.family == fam) & (ok.construction == c)]
                for m_val, dm in _by_m(d, fam):
                    out.append(
                        (
                            fam,
                            f"{c} construction" + m_val,
                            cls,
                            pd.DataFrame({"x": dm.n_features, "y": dm.min_width, "group": dm.instance * 1000 + dm.seed}),
                        )
                    )
    return [s for s in out if len(s[3])]


def _by_m(d, fam):
    """U-AND: one series over m; pairs: one series per m (m' varies at fixed m)."""
    if not len(d):
        return []
    if fam == "uand":
        return [("", d)]
    return [(f" (m={m})", g) for m, g in d.groupby("m")]


def all_out_of_sample(fr: dict, seed: int = 0) -> list[dict]:
    """:func:`out_of_sample` of every column of :func:`column_series` (U-AND also against ``m^(2/3)``)."""
    rows = []
    for fam, name, cls, d in column_series(fr["min_width"], fr["constructions"]):
        forms = ("as_lower", "as_2and", "hanni") if fam == "uand" else ("as_lower", "as_2and")
        r = out_of_sample(d.x, d.y, d.group, forms, seed)
        if r is not None and fam == "uand":  # the lower bound is a worst case over sets; U-AND is one set
            r["forms"]["as_lower"]["verdict"] += " [a worst-case bound over sets: no claim about U-AND]"
        if r is not None:
            rows.append({"family": fam, "column": name, "class": cls, "x_range": [float(d.x.min()), float(d.x.max())],
                         **r})
    return rows
