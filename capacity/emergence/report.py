"""Tables (Markdown + CSV), JSON and plots of an :class:`~.pipeline.EmergenceResult`.

Files written by :func:`write_report` into a folder:

* ``curves.csv``: one row per (size, LM seed, checkpoint, layer, category): probe AUROC, shuffled-label probe,
  random-direction AUROC, SAE best-latent AUROC (mean, min, max over SAE seeds), shuffled-label SAE AUROC,
  presence and the share of SAE seeds in which the category is present;
* ``runs.csv``: per (size, LM seed, category): best layer, step-0 probe, emergence / learning / presence steps,
  sharpness fit (verdict, width in octaves and interval, ΔBIC) and layer reactivations;
* ``time.csv``, ``scale.csv``, ``layers.csv``, ``controls.csv``: the verdicts across LM seeds;
* ``sae_metrics.csv`` (FVU, L0, dead fraction of every SAE), ``loss_recovered.csv`` (final checkpoint),
  ``latent_freq.csv`` (histogram of log10 firing frequency, final checkpoint);
* ``minilm_presence.csv``, ``minilm_layers.csv``, ``matching.csv`` when MiniLM ran;
* ``tables.md`` (headline tables), ``results.json`` (config, timings per stage, versions, loss curves);
* ``curves.png`` (continuous evidence with controls and intervals), ``latent_freq.png``, ``minilm_layers.png``.

The CSV files carry no timings, so the same configuration and seed give identical CSV files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._files import markdown_table
from .evidence import mean_interval

__all__ = ["markdown_tables", "write_report"]

FREQ_LABELS = ["dead", "<1e-5", "1e-5..1e-4", "1e-4..1e-3", "1e-3..1e-2", "1e-2..0.1", ">=0.1"]


def _md(frame) -> str:
    return markdown_table(frame, ".2f")


def markdown_tables(result) -> str:
    import pandas as pd

    cfg = result.config
    d = cfg.margin
    out = [f"# Feature emergence: preset `{cfg.name}`, {cfg.lm_seeds} LM seeds x {cfg.sae_seeds} SAE seeds", "",
           ("Continuous evidence per (size, LM seed, checkpoint, layer, category): held-out SAE best-latent AUROC "
            "(mean over SAE seeds), held-out ridge-probe AUROC, and the controls (step-0 model, shuffled labels, "
            f"random directions). Emergence = first checkpoint from which the SAE AUROC stays >= step-0 probe + {d} "
            f"and >= random directions + {d}; learning = the same for the probe alone. All rules are ours; see "
            "the science notes."), ""]
    if len(result.time):
        out += ["## Time: emergence across LM seeds (best layer per run)", "",
                ("steps: median [min-max] over the seeds where the event happens; emerged / testable / seeds; "
                 "sharp = seeds whose SAE-AUROC curve is sharp (sigmoid in log-step preferred by ΔBIC >= 10, "
                 "10-90 % width interval <= 1 octave); width in octaves (median, range over fitted seeds)."), "",
                _md(result.time), ""]
    if len(result.scale):
        out += ["## Scale: final-checkpoint SAE AUROC and probe (mean [95 % t-interval] over LM seeds)", "",
                _md(result.scale), ""]
    if len(result.layers):
        out += ["## Layers: reactivation at the final checkpoint", "",
                (f"A run reactivates when the SAE AUROC is above the emergence level at layers l1 < l3 and at least "
                 f"{2 * d:g} lower at some l2 between them; probe_also_dips: the probe dips there too; "
                 "presence_rule_reactivating: the first design's thresholded rule."), "",
                _md(result.layers), ""]
    if len(result.controls):
        out += ["## Controls (mean over seeds, layers and categories)", "", _md(result.controls), ""]
    sm = result.sae
    if len(sm):
        toy = sm[sm["source"].fillna("toy") != "minilm"] if "source" in sm else sm
        g = toy.groupby(["size"], sort=False)[["fvu", "l0", "dead_frac"]].median().reset_index()
        out += ["## SAE quality (median over seeds, checkpoints and layers)", "", _md(g), ""]
    if len(result.ce):
        rows = []
        for (size, layer), h in result.ce.groupby(["size", "layer"], sort=False):
            m, lo, hi = mean_interval(h["loss_recovered"])
            rows.append({"size": size, "layer": layer, "loss_clean": h["loss_clean"].mean(),
                         "loss_zero": h["loss_zero"].mean(), "loss_sae": h["loss_sae"].mean(),
                         "fraction_recovered": f"{m:.3f} [{lo:.3f}, {hi:.3f}]"})
        out += ["## Loss recovered at the final checkpoint", "",
                "(CE_zero − CE_sae) / (CE_zero − CE_clean), mean [95 % t-interval] over LM x SAE seeds.", "",
                _md(pd.DataFrame(rows)), ""]
    if len(result.freq):
        cols = [c for c in result.freq.columns if c.startswith("bin")]
        g = result.freq.groupby("size", sort=False)[cols].sum()
        g = (g.div(g.sum(axis=1), axis=0)).reset_index()
        g.columns = ["size", *FREQ_LABELS[:len(cols)]]
        out += ["## Latent firing frequency at the final checkpoint (share of latents)", "", _md(g), ""]
    if len(result.minilm_layers):
        out += ["## MiniLM: presence per layer (mean over SAE repeats, sentence means)", "",
                _md(result.minilm_layers[[c for c in ("category", "layers", "profile", "reactivations",
                                                      "reactivating_repeats") if c in result.minilm_layers]]), ""]
    out += ["## Time per stage (seconds)", "", markdown_table(pd.DataFrame([result.timings]), ".1f"), ""]
    return "\n".join(out)


def _best_layer_curves(result):
    """Per (size, LM seed, category): the curves at that run's best layer."""
    c, r = result.curves, result.runs
    key = r[["size", "lm_seed", "category", "best_layer"]].rename(columns={"best_layer": "layer"})
    return c.merge(key, on=["size", "lm_seed", "category", "layer"])


def _plots(result, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if len(result.curves):
        b = _best_layer_curves(result)
        sizes = list(dict.fromkeys(result.curves["size"]))
        cats = list(dict.fromkeys(result.curves["category"]))
        fig, axes = plt.subplots(len(sizes), len(cats), figsize=(2.3 * len(cats) + 1, 2.1 * len(sizes) + 0.8),
                                 squeeze=False, sharey=True)
        series = [("sae", "SAE best latent", "C0"), ("probe", "probe", "C1"), ("random_dir", "random dirs", "C7"),
                  ("sae_shuffled", "SAE, shuffled labels", "C3"), ("presence", "presence (thresholded)", "C2")]
        for i, s in enumerate(sizes):
            for j, cat in enumerate(cats):
                ax = axes[i, j]
                h = b[(b["size"] == s) & (b["category"] == cat)]
                for col, label, color in series:
                    g = h.groupby("step")[col]
                    steps = np.array(sorted(h["step"].unique()))
                    stats = np.array([mean_interval(g.get_group(t)) for t in steps])
                    x = steps + 1
                    ax.plot(x, stats[:, 0], color=color, lw=1.2, ls="--" if col == "presence" else "-", label=label)
                    ax.fill_between(x, stats[:, 1], stats[:, 2], color=color, alpha=0.2, lw=0)
                ax.set_xscale("log")
                ax.set_ylim(0, 1.02)
                if i == 0:
                    ax.set_title(cat, fontsize=9)
                if j == 0:
                    ax.set_ylabel(f"{s}: AUROC", fontsize=8)
                if i == len(sizes) - 1:
                    ax.set_xlabel("step + 1", fontsize=8)
                ax.tick_params(labelsize=6)
        axes[0, -1].legend(fontsize=6, loc="lower right")
        fig.suptitle("Continuous evidence at each run's best layer: mean and 95 % t-interval over LM seeds",
                     fontsize=10)
        fig.tight_layout()
        fig.savefig(out / "curves.png", dpi=90)
        plt.close(fig)
        written.append("curves.png")
    if len(result.freq):
        cols = [c for c in result.freq.columns if c.startswith("bin")]
        g = result.freq.groupby("size", sort=False)[cols].sum()
        fig, ax = plt.subplots(figsize=(6, 3))
        w = 0.8 / len(g)
        for k, (size, row) in enumerate(g.iterrows()):
            ax.bar(np.arange(len(cols)) + k * w, row.to_numpy() / row.sum(), width=w, label=size)
        ax.set_xticks(np.arange(len(cols)) + 0.4 - w / 2, FREQ_LABELS[:len(cols)], fontsize=7)
        ax.set_ylabel("share of latents")
        ax.set_xlabel("firing frequency on training tokens (final checkpoint)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "latent_freq.png", dpi=100)
        plt.close(fig)
        written.append("latent_freq.png")
    mini = result.minilm
    if len(mini):
        grid = mini.pivot(index="category", columns="layer", values="presence")
        fig, ax = plt.subplots(figsize=(5, 0.45 * len(grid) + 1.5))
        ax.imshow(grid.values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (a, c), v in np.ndenumerate(grid.values):
            ax.text(c, a, f"{v:.2f}", ha="center", va="center", color="w" if v < 0.6 else "k", fontsize=7)
        ax.set_xticks(range(grid.shape[1]), grid.columns)
        ax.set_yticks(range(grid.shape[0]), grid.index)
        ax.set_xlabel("layer (0 = embeddings)")
        ax.set_title(f"all-MiniLM-L6-v2: presence per layer, mean of {result.config.minilm_repeats} SAEs",
                     fontsize=8)
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
    files = {"curves.csv": result.curves, "runs.csv": result.runs, "time.csv": result.time,
             "scale.csv": result.scale, "layers.csv": result.layers, "controls.csv": result.controls,
             "sae_metrics.csv": result.sae, "loss_recovered.csv": result.ce, "latent_freq.csv": result.freq}
    if len(result.minilm):
        files.update({"minilm_presence.csv": result.minilm, "minilm_layers.csv": result.minilm_layers,
                      "matching.csv": result.matching})
    for name, frame in files.items():
        frame.to_csv(out / name, index=False, float_format="%.6g")
    (out / "tables.md").write_text(markdown_tables(result))
    info = {"command": "emergence", "config": result.config.to_dict(), "timings_seconds": result.timings,
            "checkpoint_source": result.checkpoint_source,
            "lm_final_loss": {k: float(np.mean(v[-20:])) if v else None for k, v in result.lm_loss.items()},
            "lm_loss_every_16_steps": {k: [round(x, 4) for x in v[::16]] for k, v in result.lm_loss.items()}}
    info.update(extra or {})
    (out / "results.json").write_text(json.dumps(to_jsonable(info), indent=1) + "\n")
    plots = _plots(result, out)
    return sorted([*files, "tables.md", "results.json", *plots])
