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

from .outofsample import FORMS, all_out_of_sample
from .sweep import STEP_CLASSES
from .bounds import BOUNDS, counting_min_width, counting_min_width_superposed, fit_constant, fit_exponent

__all__ = ["frames", "fits", "write_report", "export_certificates", "markdown_tables", "scaling_tables",
           "counts_table", "headline_plot"]

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
    count_rows = []
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
            o = p.opts
            if o.get("activation") == "step":  # the exact step columns (a class of their own)
                for suffix, K in STEP_CLASSES:
                    if o.get("weight_bound") == K:
                        row[f"n_star_step_{suffix}"] = r["min_width"]
                        row[f"n_star_step_{suffix}_lower"] = r["lower"]
                        row[f"n_star_step_{suffix}_proven"] = r["proven"]
            if (o.get("activation"), o.get("weight_bound")) != (cfg.activation, cfg.weight_bound):
                continue
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
        elif p.kind == "trained_width":
            row = setrow(p)
            for crit, col in (("real", "trained_real_n"), ("projected", "trained_int_n")):
                row[col] = r.get(f"{crit}_width")
                row[f"{col}_failed_below"] = r.get(f"{crit}_failed_below")
            row["trained_widths_probed"] = " ".join(str(t["width"]) for t in r.get("tried", []))
        elif p.kind == "count":
            if r.get("count") is None:
                continue
            count_rows.append(
                {
                    "k": p.m,
                    "width": p.width,
                    "activation": p.opts["activation"],
                    "weights": "real" if p.opts["weight_bound"] is None else f"int K={p.opts['weight_bound']}",
                    "count": r["count"],
                    "K_used": r["weight_bound_used"],
                }
            )
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
            row["counting_lb_superposed"] = counting_min_width_superposed(m, s, mp, cfg.weight_bound)
        tw = trained.get(key, {})
        if tw:  # exact judgement (every feature computed on the whole domain); tolerance beside it
            any_ok = [w for w, per in sorted(tw.items()) if max(per["n_exact"]) == mp]
            all_ok = [w for w, per in sorted(tw.items()) if min(per["n_exact"]) == mp]
            tol_ok = [w for w, per in sorted(tw.items()) if max(per["n_within_tolerance"]) == mp]
            row["trained_n"] = any_ok[0] if any_ok else None
            row["trained_n_all_seeds"] = all_ok[0] if all_ok else None
            row["trained_n_tolerance"] = tol_ok[0] if tol_ok else None
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
    counts = pd.DataFrame(count_rows)
    if len(counts):
        counts["P"] = counts.width * counts.k + counts.width  # Problem.parameter_size: n*k + F*n, F = 1
        counts["log2_count"] = np.round(np.log2(counts["count"].astype(float)), 4)
        counts["bits_per_parameter"] = np.round(counts.log2_count / counts.P, 4)
        counts = counts.sort_values(["k", "width", "activation", "weights"], kind="mergesort").reset_index(drop=True)
    out = {"min_width": mw, "capacity": cap, "constructions": cons, "counts": counts}
    for name, df in out.items():
        if len(df) and name != "counts":
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


def _nstar_cell(g) -> str:
    """Median [min–max] of the proven n*, and every row that is not proven (UNKNOWN, NONE) counted beside it
    with its bounds: a median never silently drops them."""
    proven = g[g["proven"].fillna(False).astype(bool)] if "proven" in g.columns else g.iloc[0:0]
    cell = _range(list(proven["n_star"])) if len(proven) else "–"
    rest = g[~g.index.isin(proven.index)]
    if len(rest):
        lo = [v for v in rest.get("n_star_lower", []) if v is not None and v == v]
        hi = [v for v in rest.get("n_star_upper", []) if v is not None and v == v]
        bounds = f"{_fmt(min(lo)) if lo else '?'}–{_fmt(max(hi)) if hi else '?'}"
        statuses = "/".join(sorted({str(v) for v in rest.get("exact_status", [])}))
        cell += f" + {len(rest)} {statuses} (n* in {bounds})"
    return cell


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
    if len(other):  # rows with constructions (step-only rows have their own table)
        built = [f"{c}_n" for c in cons if f"{c}_n" in other.columns]
        other = other[other[built].notna().any(axis=1)] if built else other.iloc[0:0]
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
                _nstar_cell(g),
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
    lines += step_table(mw)
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


def _step_cell(g, suffix) -> str:
    col = f"n_star_step_{suffix}"
    if col not in g.columns or g[col].isna().all() and g[f"{col}_lower"].isna().all():
        return "–"
    proven = g[g[f"{col}_proven"].fillna(False).astype(bool)]
    cell = _range(list(proven[col])) if len(proven) else "–"
    rest = len(g) - len(proven)
    if rest:
        lo = [v for v in g.loc[~g.index.isin(proven.index), f"{col}_lower"] if v == v and v is not None]
        cell += f" + {rest} UNKNOWN (n* >= {_fmt(min(lo)) if lo else '?'})"
    return cell


def step_table(mw) -> list[str]:
    """The exact step columns: real weights (exact through Muroga's bound) beside integers in [-1, 1]."""
    if not len(mw) or "n_star_step_real" not in mw.columns and "n_star_step_int" not in mw.columns:
        return []
    lines = [
        "### Exact minimum width of step networks: real weights and integers in [-1, 1]\n",
        "A class of its own (step units, free biases), not compared with the ReLU columns. Real weights are "
        "decided exactly: on Boolean points a real-weight step network equals an integer one with weights "
        "at most Muroga's bound K(m) (hidden) and K(n) (readout) (docs/scaling.md). Real weights include "
        "[-1, 1], so the real n* is never above the integer one.\n",
        _row(["family", "m", "m'", "sets", "n* step, real weights", "n* step, integers in [-1, 1]"]),
        "|---|---|---|---|---|---|",
    ]
    cols = [c for c in ("n_star_step_real", "n_star_step_int") if c in mw.columns]
    d = mw[mw[cols].notna().any(axis=1) | mw[[c + "_lower" for c in cols]].notna().any(axis=1)]
    for (fam, m, mp), g in d.groupby(["family", "m", "n_features"], sort=True):
        lines.append(_row([fam, str(m), str(mp), str(len(g)), _step_cell(g, "real"), _step_cell(g, "int")]))
    return lines + [""]


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
    oos = all_out_of_sample(fr, sr.config.seed)
    paths = {}
    for name in ("min_width", "capacity", "constructions", "counts"):
        if name != "counts" or len(fr[name]):
            paths[name] = write_atomic(out / f"{name}.csv", _csv(fr[name]))
    if oos:
        paths["fits_out_of_sample"] = write_atomic(out / "fits_out_of_sample.csv", _csv(_oos_frame(oos)))
    fit_rows = [dict(kind="constant", **c) for c in ft["constants"]] + [
        dict(kind="exponent", **e) for e in ft["exponents"]
    ]
    import pandas as pd

    fdf = pd.DataFrame(fit_rows)
    if "x_range" in fdf.columns:
        fdf["x_range"] = fdf["x_range"].map(lambda v: "" if not isinstance(v, list) else f"{v[0]:g}-{v[1]:g}")
    paths["fits"] = write_atomic(out / "fits.csv", _csv(fdf))
    missing, stale = sr.run.get("missing") or {}, sr.run.get("stale") or {}
    md = [
        f"# Capacity scaling ({sr.config.preset} preset)\n",
        ""
        if not missing
        else "**Incomplete run**: points not computed (report written from the cache): "
        + ", ".join(f"{k} {v}" for k, v in missing.items())
        + ". Rows that need them show a dash.\n",
        ""
        if not stale
        else "Points computed by an earlier version of the code (the source of their kind changed since; "
        "recomputed by the next run): " + ", ".join(f"{k} {v}" for k, v in stale.items()) + ".\n",
        scaling_tables(fr, oos, sr.config),
        markdown_tables(fr, ft, sr.config),
        counts_table(fr["counts"]),
    ]
    paths["table"] = write_atomic(out / "table.md", "\n".join(md))
    payload = {
        "config": sr.config.to_dict(),
        "run": sr.run,
        "bounds": [b.to_dict() for b in BOUNDS.values()],
        "fits": ft,
        "fits_out_of_sample": oos,
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
        h = headline_plot(fr, oos, sr.config, out)
        if h is not None:
            paths["headline_png"] = h
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
        o = p.opts
        column = "n_star"
        if (o.get("activation"), o.get("weight_bound")) != (sr.config.activation, sr.config.weight_bound):
            K = o.get("weight_bound")
            name += f"_{o.get('activation')}_{'real' if K is None else f'K{K}'}"
            column = next((f"n_star_step_{sfx}" for sfx, k in STEP_CLASSES
                           if o.get("activation") == "step" and k == K), None)
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
                "column": column,
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


# ---------------------------------------------------------------------------------------------
# the scaling study: matched classes, out-of-sample fits, bits per parameter, headline plot

#: the class of each width column (docs/scaling.md); the tables and the plot print it
CLASSES = {
    "n_star": ("exact n*", "ReLU, integer weights in [-K, K], free integer biases; proven"),
    "trained_int_n": ("trained → int", "trained, then projected to integers in [-K, K] and verified exactly: "
                      "the same class as n*"),
    "trained_real_n": ("trained real", "trained, real weights, verified exactly; no exact partner column"),
    "hanni_uand_n": ("Hänni U-AND", "construction, weights in {0, 1} (inside the K = 1 class), verified exactly"),
    "sparse_code_n": ("sparse code", "construction, weights in {0, 1} (inside the K = 1 class), verified exactly"),
    "counting_lb_superposed": ("counting LB (superposed)", "lower bound by counting, readout in superposition "
                               "(r = n readout units): worst case over sets of m' pairs, in that class"),
}


def _oos_frame(oos):
    import pandas as pd

    rows = []
    for r in oos:
        base = {k: r[k] for k in ("family", "column", "class", "split_at", "n_points", "n_groups", "bootstrap",
                                  "alpha_all", "alpha_small", "alpha_large", "powerlaw_oos_rmse",
                                  "powerlaw_large_inside_band")}
        for k in ("alpha_all_ci", "alpha_small_ci", "alpha_large_ci"):
            base[k] = "" if r[k][0] is None else f"[{r[k][0]:g}, {r[k][1]:g}]"
        for f, v in r["forms"].items():
            rows.append({**base, "form": f, **v})
    return pd.DataFrame(rows)


def _cell_width(row, col):
    v = row.get(col)
    if v is None or (isinstance(v, float) and np.isnan(v)):
        fb = row.get(f"{col}_failed_below", row.get(f"{col[:-2]}_max_tried"))
        return f">{_fmt(fb)}" if fb is not None and fb == fb else "–"
    return _fmt(v)


def scaling_tables(fr: dict, oos: list, cfg) -> str:
    """Matched-class widths over the whole ladder (U-AND and random pairs), then the out-of-sample fits."""
    mw = fr["min_width"]
    if not len(mw) or not {"trained_int_n", "hanni_uand_n"} & set(mw.columns):
        return ""
    K = cfg.weight_bound
    lines = [
        "## Scaling study: matched classes (docs/scaling.md)\n",
        "Every width is the smallest found for one feature set (median over sets [min–max]); each column's "
        "class:\n",
    ]
    lines += [f"* **{t}** (`{c}`): {d.replace('[-K, K]', f'[-{K}, {K}]')}" for c, (t, d) in CLASSES.items()]
    lines.append(
        "\nA dash: not computed for this row; `>w`: no success up to width w. Trained widths come from a "
        "walk on the ladder " + "1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, …" + " starting at the first width >= "
        "√m' (training is not monotone in the width: the reported width succeeded and the ladder width below "
        "it was tried and failed). "
        "Constructions: best seed; width found by doubling and bisection on the scaling rows.\n"
    )
    cols = ["n_star", "trained_int_n", "trained_real_n", "hanni_uand_n", "sparse_code_n", "counting_lb_superposed"]
    head = ["family", "m", "m'", "sets"] + [CLASSES[c][0] for c in cols]
    lines += [_row(head), "|" + "---|" * len(head)]
    d = mw[mw.family.isin(["uand", "pairs"])]
    for (fam, m, mp), g in d.groupby(["family", "m", "n_features"], sort=True):
        if not any(c in g.columns and g[c].notna().any() for c in ("trained_int_n", "hanni_uand_n")):
            continue
        cells = [fam, str(m), str(mp), str(len(g))]
        for c in cols:
            if c == "n_star":
                cells.append(_nstar_cell(g) if "exact_status" in g.columns and g.exact_status.notna().any() else "–")
            elif c in g.columns and g[c].notna().any():
                missing = int(g[c].isna().sum())
                cell = _range(list(g[c]))
                if missing:
                    cell += f" + {missing} " + " ".join(_cell_width(r, c) for _, r in g[g[c].isna()].iterrows())
                cells.append(cell)
            else:
                parts = [_cell_width(r, c) for _, r in g.iterrows()] if c in g.columns else []
                cells.append(" ".join(parts) if any(v != "–" for v in parts) else "–")
        lines.append(_row(cells))
    lines.append("")
    if oos:
        lines.append("### Fits that can fail: fitted on the small half of m', tested on the large half\n")
        lines.append(
            "alpha: exponent of n ~ m'^alpha with 95% bootstrap interval; 'power law out of sample': RMS of "
            "ln(observed/predicted) on the large half for the small-half fit, and how many large-half m' "
            "lie inside its 95% band. Per theory form: the constant fitted on the small half, its RMS log "
            "error on the large half, the form's local exponent on the large half, and the verdict "
            "(rules in docs/scaling.md).\n"
        )
        head = ["family", "column", "m' range (split)", "alpha all", "alpha small half", "alpha large half",
                "power law out of sample"] + [FORMS[f][0] for f in ("as_lower", "as_2and", "hanni")]
        lines += [_row(head), "|" + "---|" * len(head)]
        for r in oos:
            def ci(k):
                lo, hi = r[k + "_ci"]
                v = r[k]
                return "–" if v is None else (f"{v:.2f}" if lo is None else f"{v:.2f} [{lo:.2f}, {hi:.2f}]")

            cells = [r["family"], r["column"], f"{_fmt(r['x_range'][0])}–{_fmt(r['x_range'][1])} ({_fmt(r['split_at'])})",
                     ci("alpha_all"), ci("alpha_small"), ci("alpha_large"),
                     f"{r['powerlaw_oos_rmse']:.2f}; {r['powerlaw_large_inside_band']} in band"]
            for f in ("as_lower", "as_2and", "hanni"):
                v = r["forms"].get(f)
                cells.append("–" if v is None else f"c={v['c_small_half']:.2f}, err {v['oos_rmse']:.2f}, "
                             f"local {v['local_exponent_large_half']:.2f}: **{v['verdict']}**")
            lines.append(_row(cells))
        lines.append("")
    return "\n".join(lines)


#: A000609: threshold functions of k variables (k = 0..6), the classical one-unit count
A000609 = (2, 4, 14, 104, 1882, 94572, 15028134)


def counts_table(counts) -> str:
    """Exact function counts of one readout over k inputs (full cube), in bits per parameter."""
    if counts is None or not len(counts):
        return ""
    lines = [
        "### Capacity in bits: distinct functions of one readout at width n (full cube of k inputs)\n",
        "Exact counts by the `count` front door (real-weight step networks through Muroga's bound). "
        "P = n·k + n (weights, biases excluded). Classical references: one threshold unit computes "
        "A000609(k) functions; multi-layer threshold networks at most 2^O(P log P) (P·log2 P shown for "
        "scale). Counts for n >= 2 are, as far as we know, unpublished.\n",
    ]
    head = ["k", "n", "class", "count", "log2 count", "P", "bits / P", "log2 A000609(k)", "P·log2 P"]
    lines += [_row(head), "|" + "---|" * len(head)]
    for _, r in counts.iterrows():
        P = int(r.P)
        lines.append(_row([str(r.k), str(r.width), f"{r.activation}, {r.weights}", str(r["count"]),
                           f"{r.log2_count:.3f}", str(P), f"{r.bits_per_parameter:.3f}",
                           f"{np.log2(A000609[int(r.k)]):.3f}", f"{P * np.log2(P):.1f}" if P > 1 else "0"]))
    lines.append("")
    return "\n".join(lines)


def headline_plot(fr: dict, oos: list, cfg, out: Path):
    """Log-log width against m', one panel per family: every column with its class, the small-half power law
    extended over the large half with its 95% bootstrap band, the superposed-readout counting bound."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .outofsample import column_series

    series = column_series(fr["min_width"], fr["constructions"])
    fams = [f for f in ("uand", "pairs") if any(s[0] == f for s in series)]
    if not fams:
        return None
    fig, axes = plt.subplots(1, len(fams), figsize=(6.6 * len(fams), 8.2), squeeze=False)
    mw = fr["min_width"]
    big_m = int(mw[mw.family == "pairs"].m.max()) if len(mw) and (mw.family == "pairs").any() else None
    style = {"exact": ("k", "o"), "projected": ("tab:purple", "D"), "real": ("tab:pink", "d"),
             "hanni": ("tab:orange", "^"), "sparse": ("tab:green", "s")}
    fits = {(r["family"], r["column"]): r for r in oos}
    for ax, fam in zip(axes[0], fams):
        xmax = 2.0
        for f, name, cls, d in series:
            if f != fam:
                continue
            key = next(k for k in style if k in name)
            col, mk = style[key]
            med = d.groupby("x").y.median()
            xmax = max(xmax, float(med.index.max()))
            hollow = fam == "pairs" and f"(m={big_m})" not in name  # the small exact ladder: hollow markers
            ax.plot(med.index, med.values, marker=mk, color=col, ls="none", ms=5, label=f"{name} — {cls}",
                    mfc="none" if hollow else col)
            r = fits.get((fam, name))
            if r is not None and r["band_lo"] is not None:
                xs = np.array(r["band_x"])
                xx = np.geomspace(float(d.x.min()), float(xs.max()), 50)
                ax.plot(xx, np.exp(r["fit_small_a"]) * xx ** r["alpha_small"], "-", color=col, lw=1,
                        label=f"  fit on m' <= {_fmt(r['split_at'])}: alpha = {r['alpha_small']:.2f}")
                ax.fill_between(xs, r["band_lo"], r["band_hi"], color=col, alpha=0.15, lw=0)
        if fam == "pairs" and "counting_lb_superposed" in mw.columns:
            g = mw[(mw.family == "pairs") & (mw.m == mw[mw.family == "pairs"].m.max())]
            g = g.groupby("n_features").counting_lb_superposed.max()
            ax.plot(g.index, g.values, "r:", lw=1.2, label="counting LB, readout in superposition (r = n)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("m' (pairwise ANDs)" + ("; U-AND: m' = C(m,2)" if fam == "uand" else ""))
        ax.set_ylabel("hidden width n")
        ax.set_title(("U-AND (all pairs of m inputs)" if fam == "uand" else "random sets of m' pairs")
                     + f", inputs with <= {cfg.sparsity} ones", fontsize=9)
        ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, frameon=False)
    fig.tight_layout()
    p = out / "headline.png"
    fig.savefig(p, dpi=130, metadata={"Software": None})
    plt.close(fig)
    return p
