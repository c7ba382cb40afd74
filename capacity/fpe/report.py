"""Run the FPE experiments for a preset and write tables (Markdown + CSV), plots (PNG) and ``summary.json``.

``capacity fpe --preset full --out results/fpe`` calls :func:`run_all`. Parts: ``study`` (the pre-registered
study of :mod:`capacity.fpe.study`, judged by :mod:`capacity.fpe.analysis`), ``exact`` (exact capacity of FPE
support codes) and ``collision`` (the clause-collision formula against Monte Carlo). Presets: ``smoke`` (seconds,
numbers mean nothing), ``quick`` (a smaller grid, minutes) and ``full`` (the registered study).
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field

import numpy as np

from .._files import markdown_table, to_jsonable, write_atomic
from .analysis import claims, fold_fits, pair_table, point_table
from .exact import ExactConfig, run_exact
from .metrics import balanced_collision, expected_collision, monte_carlo_collision
from .study import StudyConfig, run_study

__all__ = ["PARTS", "PRESETS", "Preset", "collision_table", "run_all"]

PARTS = ("study", "exact", "collision")


@dataclass(frozen=True)
class Preset:
    """Everything one ``capacity fpe`` run does."""

    name: str
    study: StudyConfig
    exact: ExactConfig = field(default_factory=ExactConfig)
    mc_trials: int = 20000
    seed: int = 0


PRESETS = {
    "smoke": Preset("smoke", StudyConfig(real=("digits",), n_values=(2,), real_n_values_small=(2,), alphas=(2,),
                                         seeds=2, tune_seeds=1, lr_grid=(1e-2,), steps=30, warmup=10, n_train=256,
                                         n_val=128, n_test=256, bootstrap=200),
                    ExactConfig(inputs=3, n_clauses=2, dnf_seeds=1, settings=((1, 2),)), mc_trials=500),
    "quick": Preset("quick", StudyConfig(real=("mnist1d",), n_values=(2, 8, 16), real_n_values=(4,), seeds=5,
                                         tune_seeds=1, steps=600, warmup=150)),
    # full: the registered study with its second amendment (docs/science-fpe.md): convergence rule, cap 2500
    "full": Preset("full", StudyConfig(real=("text", "mnist1d", "digits"), steps=2500, window=300, log_every=100),
                   ExactConfig(dnf_seeds=6),
                   mc_trials=100000),
}


def collision_table(alphas=(2, 3, 4), ks=(1, 2, 3), d: int = 24, trials: int = 20000, seed: int = 0):
    """``alpha^-(2k-1)`` vs Monte Carlo (i.i.d. children) and the balanced-partition exact value vs Monte Carlo."""
    import pandas as pd

    rows = []
    for a in alphas:
        for k in ks:
            if d % a or 2 * k > d:
                continue
            rows.append({"alpha": a, "k": k, "d": d, "formula": expected_collision(a, k),
                         "mc_iid": monte_carlo_collision(a, k, d, trials, balanced=False, seed=seed),
                         "balanced_exact": balanced_collision(a, k, d),
                         "mc_balanced": monte_carlo_collision(a, k, d, trials, balanced=True, seed=seed),
                         "trials": trials})
    return pd.DataFrame(rows)


def _plot_study(points, out):
    """Test balanced accuracy against clauses per neuron (Boolean) or n (real), one panel per data set and alpha."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datas = list(dict.fromkeys(points.data))
    alphas = sorted(points.alpha.dropna().unique())
    fig, axes = plt.subplots(len(datas), len(alphas), figsize=(6 * len(alphas), 3.4 * len(datas)), squeeze=False)
    for r, data in enumerate(datas):
        d = points[points.data == data]
        boolean = data.startswith("boolean")
        for c, a in enumerate(alphas):
            ax = axes[r][c]
            for i, (v, g) in enumerate(d.groupby("variant", sort=False)):
                if v in ("untrained", "linear"):
                    continue
                g = g[g.alpha.isna() | (g.alpha == a)].sort_values("n")
                x = g.clauses_per_neuron if boolean else g.n
                ax.errorbar(x, 100 * g.test, yerr=100 * g.test_sd.fillna(0), marker="o", ms=3, capsize=2, lw=1,
                            label=v, color=plt.cm.tab20(i % 20),
                            ls="--" if v in ("dense", "wide", "shuffled") else "-")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("clauses per neuron (dense n)" if boolean else "dense width n")
            ax.set_ylabel("balanced test accuracy (%)")
            ax.set_title(f"{data}, alpha = {int(a)}")
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "study_accuracy.png", dpi=100)
    plt.close(fig)


def run_all(preset: Preset, out, progress: bool = True, parts=PARTS, jobs: int = 1) -> dict:
    """Run the preset's parts and write every table and plot into ``out`` (a directory)."""
    from pathlib import Path

    import pandas as pd
    import torch

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(preset.seed)
    times, cpu, md, summary = {}, {}, [f"# FPE results (preset `{preset.name}`)", ""], {"preset": preset.name}

    def table(name, df, title, note="", fmt=".4g"):
        write_atomic(out / f"{name}.csv", df.to_csv(index=False))
        md.extend([f"## {title}", "", *([note, ""] if note else []), markdown_table(df, fmt), ""])

    if "study" in parts:
        import resource

        t0, c0 = time.perf_counter(), time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        cfg = preset.study
        runs, lrs, seconds = run_study(cfg, progress=progress, jobs=jobs)
        times["study"] = time.perf_counter() - t0
        cpu["study"] = time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - c0
        write_atomic(out / "study_runs.csv", runs.to_csv(index=False))
        write_atomic(out / "study_lr.csv", lrs.to_csv(index=False))
        pts = point_table(runs, cfg.bootstrap, cfg.seed)
        pairs = pair_table(runs, cfg.bootstrap, cfg.seed)
        verdicts = claims(pairs)
        fits = fold_fits(runs)
        table("study_claims", verdicts, "Verdicts on the paper's claims (pre-registered rules)",
              "`cases`: comparisons (points x variants) in the scope; `for` / `against`: cases whose 95 % paired "
              "bootstrap interval lies wholly on the claimed / the other side (docs/science-fpe.md, *Claims*).")
        cols = ["data", "n", "alpha", "variant", "clauses_per_neuron", "test", "train", "diff_vs_dense", "ci_lo",
                "ci_hi", "seeds_up", "seeds", "lr", "steps", "steps_max", "converged", "loss_end",
                "loss_drop_second_half", "free_weights", "coverage", "collision", "capacity_fold", "cos_fold"]
        table("study_points", pts[[c for c in cols if c in pts]], "Every point and variant (10 paired seeds in full)",
              "Balanced accuracy (test, train); `diff_vs_dense`: mean paired difference to dense n with its 95 % "
              "bootstrap interval `[ci_lo, ci_hi]`; `lr`: chosen on validation; `steps`: median (`steps_max`: "
              "largest) steps over the seeds; `converged`: share of seeds whose convergence rule fired; "
              "`loss_drop_second_half`: relative "
              "fall of the training loss over the second half (small = converged); `coverage`: share of clauses "
              "some hidden unit sees whole; `collision`: share of clause pairs some unit sees whole; folds against "
              "dense n.")
        table("study_pairs", pairs, "Every comparison behind the verdicts")
        table("study_folds", fits, "Accuracy gain over dense against the fold change of capacity and |cos|",
              "Least squares `gain = a + b * fold` over every point and seed of the variant.")
        _plot_study(pts, out)
        summary["study"] = {"config": cfg.to_dict(), "claims": verdicts.to_dict(orient="records"),
                            "seconds_per_data_set": seconds, "jobs": jobs}

    if "exact" in parts:
        t0 = time.perf_counter()
        edf, evidence = run_exact(preset.exact, progress=progress)
        times["exact"] = time.perf_counter() - t0
        cols = ["dnf_seed", "dnf", "n", "alpha", "class", "width", "w_in_nonzero", "P_one_readout", "capacity",
                "family_size", "capacity_proof", "dnf_status", "dnf_evidence", "dnf_second", "rep_count"]
        table("exact", edf[cols], "Exact capacity: FPE support codes vs dense (integer weights in [-1, 1], ReLU)",
              "`capacity`: largest simultaneously computable subset of {the DNF's clauses, the DNF}; `rep_count`: "
              "functions on all 4-input points that one readout computes (of 65536); `fpe pruned (any)`: union over "
              "every way to prune (alpha-1)n input weights (equal budget with dense n).")
        g = edf.groupby(["n", "alpha", "class"], sort=False)
        agg = g.agg(capacity_min=("capacity", "min"), capacity_max=("capacity", "max"),
                    dnf_representable=("dnf_status", lambda x: f"{int((x == 'REPRESENTABLE').sum())}/{len(x)}"),
                    rep_count_min=("rep_count", "min"), rep_count_max=("rep_count", "max"),
                    P_one_readout=("P_one_readout", "first")).reset_index()
        table("exact_summary", agg, "Exact capacity, summary over the DNF instances",
              "`dnf_representable`: DNFs (of the instances) one readout of the class computes, each with a verified "
              "witness or an enumeration certificate (cross-checked by SAT); empty `rep_count`: not listed (dense "
              "width 4 takes minutes).")
        write_atomic(out / "exact_evidence.json", json.dumps(to_jsonable(evidence), default=str) + "\n")
        summary["exact"] = edf.to_dict(orient="records")

    if "collision" in parts:
        t0 = time.perf_counter()
        cdf = collision_table(trials=preset.mc_trials, seed=preset.seed)
        times["collision"] = time.perf_counter() - t0
        table("collision", cdf, "Clause collision: alpha^-(2k-1) vs Monte Carlo",
              "`formula` = alpha^-(2k-1) = P(two variable-disjoint k-clauses whole in one child) with i.i.d. uniform "
              "children (`mc_iid`); our split is a balanced partition: exact `balanced_exact` vs `mc_balanced`.")
        summary["collision"] = cdf.to_dict(orient="records")

    import capacity

    summary.update({"seconds": times, "cpu_seconds": cpu, "load_average": list(__import__("os").getloadavg()),
                    "config": {"study": preset.study.to_dict(), "exact": preset.exact.to_dict()},
                    "versions": {"capacity": capacity.__version__, "torch": torch.__version__,
                                 "numpy": np.__version__, "python": platform.python_version()},
                    "torch_threads": torch.get_num_threads()})
    md.extend(["## Wall time (s)", "", markdown_table(pd.DataFrame([times]), ".1f"), ""])
    write_atomic(out / "tables.md", "\n".join(md))
    write_atomic(out / "summary.json", json.dumps(to_jsonable(summary), indent=1, default=str) + "\n")
    return summary
