"""Tables, fits and plots of a finished sweep: Markdown, CSV, JSON and PNG in one output folder.

Files written by :func:`write_report` (``OUT`` = the output folder):

* ``min_width.csv``: one row per feature set: the exact minimum width ``n*`` (with status and certificate
  kind), the parameter size ``P* = n* (m + m')`` of the dense class at that width, the hand-built
  constructions' smallest widths, the trained networks' smallest width, the counting lower bound and the
  published bounds with constants fitted to these tables;
* ``capacity.csv``: one row per feature set and width ``n`` (with ``P = n (m + m')``): exact capacity,
  features computed by each construction and by trained networks, and the fitted capacity bound;
* ``constructions.csv``: every construction run (feature set, construction, seed, smallest width);
* ``fits.csv``: the fitted constants and scaling exponents (with intervals over seeds);
* ``table.md``: the headline tables; ``results.json``: configuration, run information (timings), fits,
  bounds and every point's result; ``*.png``: plots.

The CSV files carry no timings, so the same configuration gives byte-identical CSV files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import numpy as np

from .bounds import BOUNDS, counting_min_width, fit_constant, fit_exponent

__all__ = ["frames", "fits", "write_report", "export_certificates", "markdown_tables"]

_AND = ("pairs", "uand", "graphs")
_SETKEY = ["family", "m", "sparsity", "n_features", "instance"]


def _median(vals):
    vals = [v for v in vals if v is not None]
    return None if not vals else float(np.median(vals))


def frames(sr) -> dict:
    """``{"min_width", "capacity", "constructions"}`` pandas DataFrames of a :class:`SweepResult`."""
    import pandas as pd

    cfg = sr.config
    sets: dict = {}
    cap_rows: dict = {}
    cons_rows = []
    trained: dict = {}  # (family, m, s, m', inst) -> {width: result}

    def setrow(p, inst=None):
        key = (p.family, p.m, p.sparsity, p.n_features, p.instance if inst is None else inst)
        if key not in sets:
            sets[key] = dict(zip(_SETKEY, key))
        return sets[key]

    for p, r in zip(sr.points, sr.results):
        if r is None or r.get("status") == "NOT_WIRED":
            continue
        if p.kind == "min_width":
            row = setrow(p)
            row.update(
                {
                    "exact_status": r["status"],
                    "n_star": r["min_width"],
                    "n_star_lower": r["lower"],
                    "n_star_upper": r["upper"],
                    "proven": r["proven"],
                    "certificate": r["certificate_kind"],
                    "method": r["method"],
                    "P_star_witness": r["witness_parameter_size"],
                }
            )
        elif p.kind == "capacity":
            setrow(p)
            cap_rows[(p.family, p.m, p.sparsity, p.n_features, p.instance, p.width)] = {
                "exact_capacity": r["size"],
                "exact_capacity_upper": r["upper"],
                "capacity_proven": r["proven"],
            }
        elif p.kind == "construction":
            row = setrow(p)
            c = r["construction"]
            widths = [s["min_width"] for s in r["per_seed"]]
            ok = [w for w in widths if w is not None]
            row[f"{c}_n"] = min(ok) if ok else None
            row[f"{c}_n_median"] = _median(ok) if len(ok) == len(widths) else None
            row[f"{c}_success"] = f"{len(ok)}/{len(widths)}"
            row[f"{c}_max_tried"] = int(r["max_width"])
            for s in r["per_seed"]:
                cons_rows.append(
                    {
                        **dict(zip(_SETKEY, (p.family, p.m, p.sparsity, p.n_features, p.instance))),
                        "construction": c,
                        "seed": s["seed"],
                        "min_width": s["min_width"],
                        "max_width_tried": r["max_width"],
                        "parameter_size": s["parameter_size"],
                        "params": json.dumps(s["params"], sort_keys=True) if s["params"] else "",
                    }
                )
                for w, k in enumerate(s["computed_by_width"], start=1):
                    if k is None:
                        continue
                    ent = cap_rows.setdefault((p.family, p.m, p.sparsity, p.n_features, p.instance, w), {})
                    ent.setdefault(f"{c}_by_seed", []).append(k)
        elif p.kind == "trained":
            if r.get("status") != "DONE":
                continue
            for per in r["per_instance"]:
                setrow(p, per["instance"])
                key = (p.family, p.m, p.sparsity, p.n_features, per["instance"])
                trained.setdefault(key, {})[p.width] = per
    # derive per-set columns
    for key, row in sets.items():
        fam, m, s, mp, inst = key
        row["P_star"] = None if row.get("n_star") is None else int(row["n_star"]) * (m + mp)
        if fam in _AND:
            row["counting_lb"] = counting_min_width(m, s, mp, cfg.weight_bound)
        tw = trained.get(key, {})
        if tw:
            any_ok = [w for w, per in sorted(tw.items()) if max(per["n_within_tolerance"]) == mp]
            all_ok = [w for w, per in sorted(tw.items()) if min(per["n_within_tolerance"]) == mp]
            row["trained_n"] = any_ok[0] if any_ok else None
            row["trained_n_all_seeds"] = all_ok[0] if all_ok else None
            row["trained_widths_tried"] = f"{min(tw)}-{max(tw)}"
        for w, per in tw.items():
            ent = cap_rows.setdefault(key + (w,), {})
            ent["trained_mean"] = float(np.mean(per["n_within_tolerance"]))
            ent["trained_max"] = int(max(per["n_within_tolerance"]))
            ent["trained_exact_max"] = int(max(per["n_exact"]))
    mw = pd.DataFrame(list(sets.values()))
    # capacity rows
    rows = []
    for key, ent in cap_rows.items():
        fam, m, s, mp, inst, w = key
        if w not in cfg.widths and "exact_capacity" not in ent:
            continue
        row = dict(zip(_SETKEY + ["width"], key))
        row["P"] = w * (m + mp)
        nstar = sets.get(key[:5], {}).get("n_star")
        if "exact_capacity" not in ent and key[:5] in sets and sets[key[:5]].get("exact_status") is not None:
            if fam in _AND and w >= mp or nstar is not None and w >= nstar and sets[key[:5]].get("proven"):
                ent.update(exact_capacity=mp, exact_capacity_upper=mp, capacity_proven=True)
        for k, v in ent.items():
            if k.endswith("_by_seed"):
                c = k[: -len("_by_seed")]
                row[f"{c}_best"] = int(max(v))
                row[f"{c}_mean"] = round(float(np.mean(v)), 4)
            else:
                row[k] = v
        rows.append(row)
    cap = pd.DataFrame(rows)
    cons = pd.DataFrame(cons_rows)
    out = {"min_width": mw, "capacity": cap, "constructions": cons}
    for name, df in out.items():
        if len(df):
            keys = [k for k in _SETKEY + ["width", "construction", "seed"] if k in df.columns]
            df = df.sort_values(keys, kind="mergesort", na_position="first").reset_index(drop=True)
            out[name] = df
    return out


def _col(df, name):
    return df[name] if name in df.columns else None


def fits(fr: dict) -> dict:
    """Fitted constants of every published bound and scaling exponents (with intervals over seeds)."""
    mw, cap, cons = fr["min_width"], fr["capacity"], fr["constructions"]
    consts, expo = [], []

    def add_const(bound, df, xcol, ycol, data):
        if df is None or not len(df) or ycol not in df.columns:
            return
        d = df[[xcol, ycol]].dropna()
        f = fit_constant(bound, d[xcol].astype(float), d[ycol].astype(float), data)
        if f is not None:
            consts.append(f.to_dict())

    def add_exp(name, df, xcol, ycol, group=None):
        if df is None or not len(df) or ycol not in df.columns:
            return
        cols = [xcol, ycol] + ([group] if group else [])
        d = df[cols].dropna()
        if not len(d):
            return
        f = fit_exponent(d[xcol].astype(float), d[ycol].astype(float), d[group] if group else None, name)
        if f is not None:
            expo.append(f.to_dict())

    if len(mw):
        exact = mw[mw.get("proven", False) == True] if "proven" in mw.columns else mw.iloc[0:0]
        ands = exact[exact.family.isin(_AND)]
        add_const("as_neurons_lower", ands, "n_features", "n_star", "exact n*, pairwise-AND families")
        add_const(
            "as_params_lower", ands, "n_features", "P_star", "exact P* = n*(m+m'), pairwise-AND families"
        )
        add_const("as_2and_neurons", ands, "n_features", "n_star", "exact n*, pairwise-AND families")
        graphs = exact[exact.family == "graphs"]
        if len(graphs):
            worst = graphs.groupby(["m", "n_features"], as_index=False).n_star.max()
            add_const(
                "as_neurons_lower",
                worst,
                "n_features",
                "n_star",
                "exact worst case over every m'-set of pairs (graphs)",
            )
            add_exp("worst-case n* ~ m'^alpha (graphs)", worst, "n_features", "n_star", "m")
        uand = exact[exact.family == "uand"]
        add_const("hanni_uand_neurons", uand, "m", "n_star", "exact n* of U-AND")
        pairs = exact[exact.family == "pairs"]
        add_exp("exact n* ~ m'^alpha (pairs)", pairs, "n_features", "n_star", "instance")
        add_exp("exact n* ~ m^alpha (U-AND)", uand, "m", "n_star")
        add_exp("exact n* ~ m'^alpha (dnf)", exact[exact.family == "dnf"], "n_features", "n_star", "instance")
        allmw = mw
        if "trained_n" in allmw.columns:
            add_exp(
                "trained n ~ m'^alpha (pairs)",
                allmw[allmw.family == "pairs"],
                "n_features",
                "trained_n",
                "instance",
            )
            add_exp("trained n ~ m^alpha (U-AND)", allmw[allmw.family == "uand"], "m", "trained_n")
    if len(cons):
        ok = cons.dropna(subset=["min_width"])
        sc = ok[(ok.construction == "sparse_code") & (ok.family == "pairs")]
        add_const("as_2and_neurons", sc, "n_features", "min_width", "sparse-code construction width, pairs")
        add_const("as_2and_params", sc, "n_features", "parameter_size", "sparse-code construction P, pairs")
        sc = sc.assign(group=sc["instance"] * 1000 + sc["seed"])
        add_exp("sparse-code width ~ m'^alpha (pairs)", sc, "n_features", "min_width", "group")
        hu = ok[(ok.construction == "hanni_uand") & (ok.family == "uand")]
        add_const("hanni_uand_neurons", hu, "m", "min_width", "Hänni U-AND construction width")
        add_exp("Hänni U-AND width ~ m^alpha", hu, "m", "min_width", "seed")
    if len(cap) and "exact_capacity" in cap.columns:
        d = cap[(cap.family == "uand")].dropna(subset=["exact_capacity"])
        d = d[d.get("capacity_proven", True) == True]
        # capacity at width n = most features of the family computable; below saturation only
        d = d[d.exact_capacity < d.n_features]
        add_const(
            "as_capacity_upper", d, "width", "exact_capacity", "exact capacity of U-AND below saturation"
        )
        add_exp("exact capacity ~ n^alpha (U-AND, below saturation)", d, "width", "exact_capacity", "m")
        add_exp("exact capacity ~ P^alpha (U-AND, below saturation)", d, "P", "exact_capacity", "m")
    return {"constants": consts, "exponents": expo}


def _constant(ft: dict, bound: str, data_prefix: str = "exact"):
    for c in ft["constants"]:
        if c["bound"] == bound and c["data"].startswith(data_prefix):
            return c["c_ls"]
    return None


def _add_theory(fr: dict, ft: dict) -> dict:
    mw, cap = fr["min_width"].copy(), fr["capacity"].copy()
    if len(mw):
        for col, bound in (("as_lower_fit", "as_neurons_lower"), ("as_2and_fit", "as_2and_neurons")):
            c = _constant(ft, bound)
            if c is not None:
                mw[col] = np.round(BOUNDS[bound].evaluate(mw["n_features"], c), 3)
        c = _constant(ft, "hanni_uand_neurons")
        if c is not None:
            mw["hanni_fit"] = np.where(
                mw.family == "uand", np.round(BOUNDS["hanni_uand_neurons"].evaluate(mw["m"], c), 3), np.nan
            )
    if len(cap):
        c = _constant(ft, "as_capacity_upper")
        if c is not None:
            cap["as_capacity_fit"] = np.round(BOUNDS["as_capacity_upper"].evaluate(cap["width"], c), 3)
    return {**fr, "min_width": mw, "capacity": cap}


def _csv(df) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, float_format="%.6g", lineterminator="\n")
    return buf.getvalue()


def _fmt(v, digits=2):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "–"
    if isinstance(v, (float, np.floating)):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))
    return str(v)


def _range(vals):
    vals = [v for v in vals if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if not vals:
        return "–"
    lo, hi, med = min(vals), max(vals), float(np.median(vals))
    return _fmt(med) if lo == hi else f"{_fmt(med)} [{_fmt(lo)}–{_fmt(hi)}]"


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def _cons_cell(g, c) -> str:
    """Best-seed construction width over the sets of ``g``; ``>W`` when no seed succeeded up to ``W``."""
    vals = [
        v
        for v in (g[f"{c}_n"] if f"{c}_n" in g.columns else [])
        if v is not None and not (isinstance(v, float) and np.isnan(v))
    ]
    if not vals and f"{c}_max_tried" in g.columns and g[f"{c}_max_tried"].notna().any():
        return f">{int(g[f'{c}_max_tried'].max())}"
    cell = _range(vals)
    missing = len(g) - len(vals)
    return cell if not missing or not vals else f"{cell} ({missing} set(s) >{int(g[f'{c}_max_tried'].max())})"


def markdown_tables(fr: dict, ft: dict, cfg) -> str:
    """The headline tables (medians over instances, ``[min–max]`` when they differ)."""
    mw, cap = fr["min_width"], fr["capacity"]
    lines = []
    K = cfg.weight_bound
    lines.append(
        f"Exact class: one hidden {cfg.activation} layer, integer weights in [-{K}, {K}], free integer "
        f"biases, inputs with at most {cfg.sparsity} ones; n* is proven (witness at n*, checked "
        f"certificate at n*-1). Trained: real weights (Adam, {cfg.train_steps} steps, {cfg.train_seeds} "
        f"seeds); a feature counts when its exact error rate over the domain is <= {cfg.tolerance}; "
        f"'trained n' is the smallest width in the ladder {list(cfg.widths)} where some seed computes "
        "every feature. Constructions are our readings of the papers (capacity/scaling/constructions.py), "
        "checked exactly; their n is the best seed. The bound constants are **fitted to these tables** "
        "(least squares; the papers give none). 'graphs' = every set of m' pairwise ANDs up to relabelling "
        "the inputs: its [min–max] is the best and the worst case.\n"
    )
    cons = [c for c in cfg.constructions if f"{c}_n" in mw.columns] if len(mw) else []
    exact = mw[mw["exact_status"].notna()] if len(mw) and "exact_status" in mw.columns else mw.iloc[0:0]
    other = mw[~mw.index.isin(exact.index)] if len(mw) else mw
    get = lambda g, c: list(g[c]) if c in g.columns else []
    if len(exact):
        lines.append("### Minimum width n* (median over instances [min–max])\n")
        head = ["family", "m", "m'", "sets", "n* exact", "proven", "P* = n*(m+m')"]
        head += [f"{c} n" for c in cons] + [
            "trained n",
            "counting LB",
            "AS c·√(m' ln m')",
            "AS 2-AND c·√m' ln m'",
            "Hänni c·m^(2/3)",
        ]
        lines += [_row(head), "|" + "---|" * len(head)]
        for (fam, m, mp), g in exact.groupby(["family", "m", "n_features"], sort=True):
            proven = int(g["proven"].fillna(False).astype(bool).sum()) if "proven" in g.columns else 0
            row = [
                fam,
                str(m),
                str(mp),
                str(len(g)),
                _range(get(g, "n_star")),
                f"{proven}/{len(g)}",
                _range(get(g, "P_star")),
            ]
            row += [_cons_cell(g, c) for c in cons]
            row += [
                _range(get(g, c))
                for c in ("trained_n", "counting_lb", "as_lower_fit", "as_2and_fit", "hanni_fit")
            ]
            lines.append(_row(row))
        lines.append("")
    if len(other):
        lines.append("### Constructions at larger m (exact solving out of reach; median over instances)\n")
        head = (
            ["family", "m", "m'", "sets"]
            + [f"{c} n" for c in cons]
            + ["AS 2-AND c·√m' ln m'", "Hänni c·m^(2/3)"]
        )
        lines += [_row(head), "|" + "---|" * len(head)]
        for (fam, m, mp), g in other.groupby(["family", "m", "n_features"], sort=True):
            row = [fam, str(m), str(mp), str(len(g))] + [_cons_cell(g, c) for c in cons]
            row += [_range(get(g, "as_2and_fit")), _range(get(g, "hanni_fit"))]
            lines.append(_row(row))
        lines.append("")
    if len(cap) and "exact_capacity" in cap.columns:
        lines.append("### Capacity at width n: features computed at once (median over instances)\n")
        ccons = [c for c in cfg.constructions if f"{c}_best" in cap.columns]
        head = ["family", "m", "m'", "n", "P = n(m+m')", "exact capacity"] + [f"{c}" for c in ccons]
        head += ["trained (mean over seeds)", "AS c·n²/ln n"]
        lines += [_row(head), "|" + "---|" * len(head)]
        sub = cap[cap.width.isin(cfg.widths) & cap.exact_capacity.notna()]
        keep = set(cfg.capacity_feature_counts) or {max(cfg.feature_counts, default=0)}
        sub = sub[(sub.family == "uand") | sub.n_features.isin(keep)]
        for (fam, m, mp, w), g in sub.groupby(["family", "m", "n_features", "width"], sort=True):
            row = [fam, str(m), str(mp), str(w), str(int(g.P.iloc[0])), _range(get(g, "exact_capacity"))]
            row += [_range(get(g, f"{c}_best")) for c in ccons]
            row += [_range(get(g, "trained_mean")), _range(get(g, "as_capacity_fit"))]
            lines.append(_row(row))
        lines.append("")
    if ft["constants"] or ft["exponents"]:
        lines.append("### Fits (constants fitted to our exact tables; exponents with 95% intervals)\n")
        lines.append("| bound / law | data | c (least squares) | c (envelope) | points | rel. RMSE |")
        lines.append("|---|---|---|---|---|---|")
        for c in ft["constants"]:
            lines.append(
                f"| {c['bound']} ({c['side']}) | {c['data']} | {c['c_ls']:.4g} | {c['c_envelope']:.4g} | "
                f"{c['n_points']} | {c['rel_rmse']:.3g} |"
            )
        lines.append("")
        lines.append("| scaling law | alpha | 95% interval | groups | points |")
        lines.append("|---|---|---|---|---|")
        for e in ft["exponents"]:
            iv = "–" if np.isnan(e["low"]) else f"[{e['low']:.3g}, {e['high']:.3g}]"
            lines.append(f"| {e['name']} | {e['alpha']:.3g} | {iv} | {e['n_groups']} | {e['n_points']} |")
        lines.append("")
    return "\n".join(lines)


def _constant_for(ft: dict, bound: str, data_prefix: str):
    for c in ft["constants"]:
        if c["bound"] == bound and c["data"].startswith(data_prefix):
            return c["c_ls"]
    return None


def _plots(fr: dict, ft: dict, cfg, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    mw, cap, cons = fr["min_width"], fr["capacity"], fr["constructions"]
    meta = {"Software": None}
    styles = {
        "sparse_code": ("s--", "tab:green"),
        "hanni_uand": ("^--", "tab:orange"),
        "dedicated": (":", "tab:grey"),
    }

    def save(fig, name):
        fig.tight_layout()
        p = out / name
        fig.savefig(p, dpi=120, metadata=meta)
        plt.close(fig)
        written.append(p)

    # 1. minimum width vs m' for sets of pairwise ANDs (log-log)
    ands = mw[mw.family.isin(["pairs", "graphs"])] if len(mw) else mw
    if len(ands):
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
        xmax = float(ands.n_features.max())
        if "n_star" in ands.columns:
            for fam, mk, lab in (
                ("pairs", "ko-", "exact n*, random sets (median)"),
                ("graphs", "kv-", "exact n*, worst set (all sets up to relabelling)"),
            ):
                g = ands[(ands.family == fam)].dropna(subset=["n_star"])
                if len(g):
                    agg = g.groupby(["m", "n_features"]).n_star
                    ser = agg.median() if fam == "pairs" else agg.max()
                    for m, sub in ser.groupby(level=0):
                        ax.plot(sub.index.get_level_values(1), sub.values, mk, label=f"{lab}, m={m}")
        if "trained_n" in ands.columns:
            g = ands[ands.family == "pairs"].dropna(subset=["trained_n"])
            if len(g):
                med = g.groupby("n_features").trained_n.median()
                ax.plot(med.index, med.values, "d-.", color="tab:purple", label="trained (median)")
        if len(cons):
            for c, (mk, col) in styles.items():
                g = cons[(cons.family == "pairs") & (cons.construction == c)].dropna(subset=["min_width"])
                if len(g):
                    best = g.groupby(["m", "n_features", "instance"]).min_width.min()
                    med = best.groupby(level=1).median()
                    ax.plot(
                        med.index,
                        med.values,
                        mk,
                        color=col,
                        label=f"{c} (best seed, median over sets, all m)",
                    )
        xs = np.geomspace(2, max(2.5, xmax), 100)
        for bound, col, prefix, lab in (
            (
                "as_neurons_lower",
                "tab:red",
                "exact n*",
                "Adler–Shavit lower c·√(m' ln m'), fitted to exact n*",
            ),
            (
                "as_2and_neurons",
                "tab:blue",
                "sparse-code",
                "Adler–Shavit 2-AND c·√m'·ln m', fitted to sparse code",
            ),
        ):
            c = _constant_for(ft, bound, prefix)
            if c is not None:
                ax.plot(
                    xs,
                    BOUNDS[bound].evaluate(xs, c),
                    "-",
                    color=col,
                    lw=1,
                    alpha=0.7,
                    label=f"{lab}: c={c:.2f}",
                )
        ax.axhline(1, color="grey", lw=0.8, ls="-", label="counting lower bound (= 1 in this class)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("m' (pairwise ANDs computed at once)")
        ax.set_ylabel("hidden width n")
        ax.set_title(
            f"Width for m' pairwise ANDs (ReLU, K={cfg.weight_bound}, inputs with <= {cfg.sparsity} ones)",
            fontsize=9,
        )
        ax.legend(fontsize=6, loc="upper left")
        save(fig, "min_width.png")

    # 2. U-AND: width vs m
    u = mw[mw.family == "uand"] if len(mw) else mw
    uc = cons[cons.family == "uand"] if len(cons) else cons
    if len(u) or len(uc):
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
        if len(u) and "n_star" in u.columns and u.n_star.notna().any():
            g = u.dropna(subset=["n_star"])
            ax.plot(g.m, g.n_star, "ko-", label="exact n*")
        if len(u) and "trained_n" in u.columns and u.trained_n.notna().any():
            g = u.dropna(subset=["trained_n"])
            ax.plot(g.m, g.trained_n, "d-.", color="tab:purple", label="trained")
        for c, (mk, col) in styles.items():
            g = uc[uc.construction == c].dropna(subset=["min_width"]) if len(uc) else uc
            if len(g):
                med = g.groupby("m").min_width.median()
                ax.plot(med.index, med.values, mk, color=col, label=f"{c} (median over seeds)")
        allm = (list(u.m) if len(u) else []) + (list(uc.m) if len(uc) else []) + [3]
        ms = np.linspace(3, max(3.5, float(max(allm))), 100)
        for prefix, ls in (("exact n* of U-AND", "-"), ("Hänni U-AND construction", "--")):
            c = _constant_for(ft, "hanni_uand_neurons", prefix)
            if c is not None:
                ax.plot(
                    ms,
                    BOUNDS["hanni_uand_neurons"].evaluate(ms, c),
                    ls,
                    color="tab:blue",
                    lw=1,
                    alpha=0.7,
                    label=f"Hänni c·m^(2/3), c={c:.2f} fitted to {prefix.split(' ')[0]}",
                )
        ax.set_xlabel("m (inputs); all C(m,2) pairwise ANDs")
        ax.set_ylabel("hidden width n")
        ax.set_title("U-AND: width computing every pairwise AND", fontsize=9)
        ax.legend(fontsize=7)
        save(fig, "uand.png")

    # 3. capacity vs n for the families with exact capacity
    if len(cap) and "exact_capacity" in cap.columns and cap.exact_capacity.notna().any():
        fig, ax = plt.subplots(figsize=(6.4, 4.6))
        sub = cap[cap.width.isin(cfg.widths) & cap.exact_capacity.notna()]
        sub = sub[sub.family == "uand"]
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, ((fam, m, mp), g) in enumerate(sub.groupby(["family", "m", "n_features"])):
            col = colors[k % len(colors)]
            agg = g.groupby("width")
            lab = f"{fam} m={m}, m'={mp}"
            ax.plot(
                agg.exact_capacity.max().index,
                agg.exact_capacity.max().values,
                "o-",
                color=col,
                label=f"exact, {lab}",
            )
            if "trained_mean" in g.columns and g.trained_mean.notna().any():
                ax.plot(
                    agg.trained_mean.max().index,
                    agg.trained_mean.max().values,
                    "d:",
                    color=col,
                    alpha=0.7,
                    label=f"trained mean, {lab}",
                )
        c = _constant_for(ft, "as_capacity_upper", "exact")
        if c is not None:
            ns = np.linspace(2, max(cfg.widths), 100)
            ax.plot(
                ns,
                BOUNDS["as_capacity_upper"].evaluate(ns, c),
                "r-",
                lw=1,
                alpha=0.6,
                label=f"AS c·n²/ln n, c={c:.2f} fitted",
            )
        ax.set_xlabel("hidden width n")
        ax.set_ylabel("pairwise ANDs computed at once")
        ax.set_title("U-AND capacity: most pairwise ANDs one layer of width n computes at once", fontsize=9)
        ax.legend(fontsize=7)
        save(fig, "capacity.png")
    return written


def write_report(sr, out_dir, *, plots: bool = True, certificates: bool = False) -> dict:
    """Write every table, fit and plot of sweep result ``sr`` into ``out_dir``; returns ``{name: path}``."""
    from .._files import to_jsonable, write_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fr = frames(sr)
    ft = fits(fr)
    fr = _add_theory(fr, ft)
    paths = {}
    for name in ("min_width", "capacity", "constructions"):
        paths[name] = write_atomic(out / f"{name}.csv", _csv(fr[name]))
    fit_rows = [dict(kind="constant", **c) for c in ft["constants"]] + [
        dict(kind="exponent", **e) for e in ft["exponents"]
    ]
    import pandas as pd

    fdf = pd.DataFrame(fit_rows)
    if "x_range" in fdf.columns:
        fdf["x_range"] = fdf["x_range"].map(lambda v: "" if not isinstance(v, list) else f"{v[0]:g}-{v[1]:g}")
    paths["fits"] = write_atomic(out / "fits.csv", _csv(fdf))
    md = [f"# Capacity scaling ({sr.config.preset} preset)\n", markdown_tables(fr, ft, sr.config)]
    paths["table"] = write_atomic(out / "table.md", "\n".join(md))
    payload = {
        "config": sr.config.to_dict(),
        "run": sr.run,
        "bounds": [b.to_dict() for b in BOUNDS.values()],
        "fits": ft,
        "points": [
            {"point": p.to_dict(), "key": k, "result": r} for p, k, r in zip(sr.points, sr.keys, sr.results)
        ],
    }
    paths["results"] = write_atomic(
        out / "results.json", json.dumps(to_jsonable(payload), indent=1, sort_keys=True) + "\n"
    )
    if plots:
        for p in _plots(fr, ft, sr.config, out):
            paths[p.stem + "_png"] = p
    if certificates:
        paths["certificates"] = export_certificates(sr, out / "certificates")
    return paths


def _gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as fh:
        fh.write(data)
    return buf.getvalue()


def export_certificates(sr, out_dir) -> Path:
    """Store, for every minimum width in the tables, the witness network (width ``n*``) and the certificate
    for width ``n* - 1`` (DRUP: the CNF and the proof, gzipped) under ``out_dir``, with ``index.json``
    listing each entry, its problem and the SHA-256 of every file (``proofs/check_table_certificates.py``
    re-checks them)."""
    from .._files import write_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (p, r) in enumerate(zip(sr.points, sr.results)):
        if p.kind != "min_width" or r is None or r.get("min_width") is None:
            continue
        name = f"{p.family}_m{p.m}_s{p.sparsity}_k{p.n_features}_i{p.instance}"
        d = out / name
        d.mkdir(exist_ok=True)
        files = {}
        w = json.dumps({"point": p.to_dict(), "network": r["witness"]}, sort_keys=True, indent=1) + "\n"
        files["witness"] = write_atomic(d / "witness.json", w)
        blobs = sr.blobs(i)
        for bname, data in sorted(blobs.items()):
            if data is not None:
                ext = {"cnf": "cnf", "proof": "drup"}.get(bname, bname)
                files[bname] = write_atomic(d / f"lower.{ext}.gz", _gz(data))
        entries.append(
            {
                "name": name,
                "point": p.to_dict(),
                "min_width": r["min_width"],
                "proven": r["proven"],
                "certificate_kind": r["certificate_kind"],
                "certificate_checked": r["certificate_checked"],
                "certificate_detail": r["certificate_detail"],
                "files": {
                    k: {"path": f"{name}/{v.name}", "sha256": hashlib.sha256(v.read_bytes()).hexdigest()}
                    for k, v in sorted(files.items())
                },
            }
        )
    write_atomic(out / "index.json", json.dumps({"entries": entries}, sort_keys=True, indent=1) + "\n")
    return out
