"""Tables (Markdown + CSV), JSON and heatmaps of an :class:`~.pipeline.EmergenceResult`.

Files written by :func:`write_report` into a folder:

* ``presence.csv``: one row per (source, size, step, layer, category): presence, present flag, number of
  categorical features, the best latent's AUROC and selectivity;
* ``sae_metrics.csv``: FVU, L0 and dead fraction of every SAE;
* ``emergence_time.csv``: per size, layer (``any`` = best layer) and category: first crossing, emergence step,
  dips; ``emergence_scale.csv``: per category the smallest size from which it stays present at the final step;
* ``layer_profiles.csv``: presence per layer at the final checkpoint (toy sizes and MiniLM) and reactivations;
* ``matching.csv``: Hungarian matching of decoder rows between adjacent checkpoints / layers;
* ``tables.md`` (headline tables), ``results.json`` (config, timings per stage, versions, loss curves);
* ``time_layer.png`` (checkpoint x layer heatmap per size and category), ``size_category.png``,
  ``time_curves.png``, ``minilm_layers.png`` (when MiniLM ran).

The CSV files carry no timings, so the same configuration and seed give identical CSV files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._files import markdown_table

__all__ = ["markdown_tables", "write_report"]


def _md(frame) -> str:
    return markdown_table(frame, ".2f")


def _int_or_dash(v):
    return "never" if v is None or (isinstance(v, float) and np.isnan(v)) else str(int(v))


def markdown_tables(result) -> str:
    """The headline tables as one Markdown string."""
    import pandas as pd

    cfg = result.config
    sc = cfg.scores
    out = [f"# Feature emergence: preset `{cfg.name}`, seed {cfg.seed}", "",
           (f"Presence P = best purity (top {sc.top_n}) among SAE latents with AUROC >= {sc.auroc_min} and "
            f"firing frequency >= {sc.freq_min}; a category is present when P >= {sc.purity_min}. "
            f"Emergence = first checkpoint from which P stays >= {sc.purity_min} "
            f"({'for all later checkpoints' if sc.persist == 0 else f'for {sc.persist} checkpoints'}). "
            "All thresholds are ours."), ""]
    t = result.time
    if len(t):
        any_ = t[t["layer"] == "any"]
        sizes = list(dict.fromkeys(any_["size"]))
        cats = list(dict.fromkeys(any_["category"]))
        rows = []
        for c in cats:
            row = {"category": c}
            for s in sizes:
                r = any_[(any_["size"] == s) & (any_["category"] == c)].iloc[0]
                e, f = _int_or_dash(r["emergence_step"]), _int_or_dash(r["first_crossing"])
                notes = ([f"first {f}"] if f != e else []) + ([f"dips {r['dips']}"] if r["n_dips"] else [])
                row[s] = e + (f" ({'; '.join(notes)})" if notes else "")
            rows.append(row)
        out += ["## Time: emergence step per size (best layer)", "",
                ("Cell: persistent emergence step (first crossing if earlier; dips as first-last step below tau, "
                 "'(lost)' = never recovered)."), "", _md(pd.DataFrame(rows)), ""]
    if len(result.scale):
        s = result.scale.copy()
        s["emergence_size"] = [x if isinstance(x, str) else "never" for x in s["emergence_size"]]
        out += ["## Scale: presence at the final checkpoint (best layer) and smallest size from which it stays",
                "", _md(s), ""]
    lp = result.layers
    if len(lp):
        out += ["## Space: layer profiles at the final checkpoint (presence per layer) and reactivations", "",
                ("Reactivation `l1>l2>l3`: present at l1, below "
                f"{sc.absent_max} at l2, present again at l3."), "",
                ("earlier_checkpoints: reactivations in the layer profiles of earlier checkpoints (`step:l1>l2>l3`); "
                 "reactivating_repeats (MiniLM): SAE repeats whose own profile reactivates."), "",
                _md(lp[[c for c in ("source", "size", "category", "layers", "profile", "reactivations",
                                    "earlier_checkpoints", "reactivating_repeats") if c in lp.columns]]), ""]
    m = result.matching
    if len(m):
        g = m.groupby(["source", "size", "axis"], sort=False).agg(
            mean_cos=("mean_cos", "mean"), share_matched=("share_matched", "mean"),
            both_present=("both_present", "sum"), tracked=("tracked", "sum"),
            category_dir_cos=("category_dir_cos", "mean")).reset_index()
        out += ["## Matching: Hungarian assignment on decoder cosines", "",
                (f"time = adjacent checkpoints (same layer), layer = adjacent layers (final checkpoint). "
                 f"share_matched = pairs with cosine >= {cfg.match_min}; tracked / both_present = categories "
                 "present on both sides whose best latents are assigned to each other (summed over pairs); "
                 "category_dir_cos = cosine of the category-mean directions themselves (no SAE), mean over "
                 "categories and pairs."), "",
                _md(g), ""]
    sm = result.sae
    if len(sm):
        g = sm.groupby(["source", "size"], sort=False)[["fvu", "l0", "dead_frac"]].median().reset_index()
        out += ["## SAE quality (median over checkpoints and layers)", "", _md(g), ""]
    out += ["## Time per stage (seconds)", "", markdown_table(pd.DataFrame([result.timings]), ".1f"), ""]
    return "\n".join(out)


def _plots(result, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    p = result.presence
    thr = result.config.scores.purity_min
    toy = p[p["source"] != "minilm"]
    if len(toy):
        sizes = list(dict.fromkeys(toy["size"]))
        cats = list(dict.fromkeys(toy["category"]))
        fig, axes = plt.subplots(len(sizes), len(cats), figsize=(2.4 * len(cats) + 1, 2.2 * len(sizes) + 0.6),
                                 squeeze=False)
        for i, s in enumerate(sizes):
            for j, c in enumerate(cats):
                d = toy[(toy["size"] == s) & (toy["category"] == c)]
                grid = d.pivot(index="step", columns="layer", values="presence").sort_index()
                ax = axes[i, j]
                im = ax.imshow(grid.values, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis")
                ax.set_xticks(range(grid.shape[1]), grid.columns)
                ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=6)
                if i == 0:
                    ax.set_title(c, fontsize=9)
                if j == 0:
                    ax.set_ylabel(f"{s}: checkpoint step", fontsize=8)
                if i == len(sizes) - 1:
                    ax.set_xlabel("layer", fontsize=8)
        fig.colorbar(im, ax=axes, shrink=0.6, label="presence (best purity)")
        fig.suptitle(f"Category presence over checkpoints x layers (present >= {thr})", fontsize=10)
        fig.savefig(out / "time_layer.png", dpi=100)
        plt.close(fig)
        written.append("time_layer.png")

        sc = result.scale
        if len(sc):
            cols = [c for c in sc.columns if c.startswith("presence_")]
            M = sc[cols].to_numpy().T
            fig, ax = plt.subplots(figsize=(1.2 * len(sc) + 2, 0.6 * len(cols) + 1.5))
            ax.imshow(M, vmin=0, vmax=1, cmap="viridis", aspect="auto")
            for (a, b), v in np.ndenumerate(M):
                ax.text(b, a, f"{v:.2f}", ha="center", va="center", color="w" if v < 0.6 else "k", fontsize=8)
            ax.set_xticks(range(len(sc)), sc["category"])
            ax.set_yticks(range(len(cols)), [c[len("presence_"):] for c in cols])
            ax.set_ylabel("size (small to large)")
            ax.set_title("Presence at the final checkpoint (best layer)", fontsize=10)
            fig.tight_layout()
            fig.savefig(out / "size_category.png", dpi=100)
            plt.close(fig)
            written.append("size_category.png")

        t = result.presence[result.presence["source"] != "minilm"]
        best = t.groupby(["size", "category", "step"], sort=False)["presence"].max().reset_index()
        fig, axes = plt.subplots(1, len(sizes), figsize=(3.6 * len(sizes), 3), squeeze=False, sharey=True)
        for i, s in enumerate(sizes):
            ax = axes[0, i]
            for c in cats:
                d = best[(best["size"] == s) & (best["category"] == c)]
                ax.plot(np.asarray(d["step"]) + 1, d["presence"], marker="o", ms=3, label=c)
            ax.axhline(thr, color="grey", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_xlabel("checkpoint step + 1")
            ax.set_title(f"size {s}", fontsize=9)
        axes[0, 0].set_ylabel("presence (best layer)")
        axes[0, -1].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "time_curves.png", dpi=100)
        plt.close(fig)
        written.append("time_curves.png")

    mini = p[p["source"] == "minilm"]
    if len(mini):
        grid = mini.pivot(index="category", columns="layer", values="presence")
        fig, ax = plt.subplots(figsize=(5, 0.45 * len(grid) + 1.5))
        ax.imshow(grid.values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (a, b), v in np.ndenumerate(grid.values):
            ax.text(b, a, f"{v:.2f}", ha="center", va="center", color="w" if v < 0.6 else "k", fontsize=7)
        ax.set_xticks(range(grid.shape[1]), grid.columns)
        ax.set_yticks(range(grid.shape[0]), grid.index)
        ax.set_xlabel("layer (0 = embeddings)")
        reps = result.config.minilm_repeats
        ax.set_title(f"all-MiniLM-L6-v2: presence per layer, mean of {reps} SAEs (generated sentences)", fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "minilm_layers.png", dpi=100)
        plt.close(fig)
        written.append("minilm_layers.png")
    return written


def write_report(result, out, extra: dict | None = None) -> list[str]:
    """Write every table, ``results.json`` and the plots into the folder ``out`` (see module doc)."""
    from .._files import to_jsonable

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"presence.csv": result.presence, "sae_metrics.csv": result.sae, "emergence_time.csv": result.time,
             "emergence_scale.csv": result.scale, "layer_profiles.csv": result.layers,
             "matching.csv": result.matching}
    for name, frame in files.items():
        frame.to_csv(out / name, index=False)
    (out / "tables.md").write_text(markdown_tables(result))
    info = {"command": "emergence", "config": result.config.to_dict(), "timings_seconds": result.timings,
            "checkpoint_source": result.checkpoint_source,
            "lm_final_loss": {k: float(np.mean(v[-20:])) if v else None for k, v in result.lm_loss.items()},
            "lm_loss_every_8_steps": {k: [round(x, 4) for x in v[::8]] for k, v in result.lm_loss.items()}}
    info.update(extra or {})
    (out / "results.json").write_text(json.dumps(to_jsonable(info), indent=1) + "\n")
    plots = _plots(result, out)
    return sorted([*files, "tables.md", "results.json", *plots])
