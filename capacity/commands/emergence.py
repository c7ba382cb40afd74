"""``capacity emergence``: when, where and at which size categorical SAE features appear.

Runs :func:`capacity.emergence.run_emergence` for a preset: trains the toy LM sizes on the generated corpus
(lexical and word-order categories) once per LM seed (Pythia-style ``step<N>/`` checkpoints), reads the
per-token residual stream at every layer of every checkpoint, trains one SAE per (size, LM seed, checkpoint,
layer, SAE seed), scores held-out best-latent and probe AUROC against controls, tests sharp against smooth,
applies the emergence, scale and layer rules, and runs the real MiniLM for the layer axis. ``--checkpoints DIR`` analyses a local ``step<N>/`` series (HF format,
e.g. Pythia revisions on disk) instead of training the toy sizes.

Writes into ``--out`` (which must not exist or be empty; written to a temporary sibling and renamed at the
end): the CSV tables, ``tables.md``, ``results.json`` (config, time per stage, versions), the plots and
``saes/`` (the final-checkpoint SAE of the first seeds at every size and layer, SAELens' format); see
:mod:`capacity.emergence.report`. All thresholds and training settings are ours.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import replace

from ..errors import CapacityError
from ._common import (
    add_out_dir_argument,
    add_progress_argument,
    nonneg_float,
    nonneg_int,
    output_dir,
    positive_int,
    print_json,
    probability,
    staged_dir,
)

HELP = "feature emergence over checkpoints, layers and sizes with sparse autoencoders"

def layer_list(text: str) -> tuple[int, ...]:
    """``L[,L2,...]``: residual-stream layers (0 = embeddings)."""
    try:
        out = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer indices like 0,2,3, got {text!r}") from None
    if any(v < 0 for v in out):
        raise argparse.ArgumentTypeError(f"layer indices must be >= 0, got {text!r}")
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=("smoke", "quick", "full", "order"), default="quick",
                   help="smoke (seconds), quick (2 LM x 2 SAE seeds, 256 steps, minutes; default), full (the "
                        "pre-registered 5 x 3 seed grid, 512 steps; the shipped results) or order (amendment: "
                        "the full grid at 2048 steps, no MiniLM)")
    p.add_argument("--checkpoints", metavar="DIR",
                   help="analyse a local step<N>/ checkpoint series (HF format) instead of training toy LMs")
    p.add_argument("--layers", type=layer_list, help="only these residual-stream layers (default: all)")
    g = p.add_argument_group("SAE and thresholds (defaults: the preset's; all ours)")
    g.add_argument("--sae", choices=("topk", "l1"), help="SAE kind")
    g.add_argument("--k", type=positive_int, help="active latents per example (TopK)")
    g.add_argument("--l1-coeff", type=nonneg_float, help="sparsity penalty (L1 SAEs)")
    g.add_argument("--expansion", type=positive_int, help="d_sae = expansion * d_model")
    g.add_argument("--purity-min", type=probability, help="purity a categorical feature needs (tau)")
    g.add_argument("--auroc-min", type=probability, help="AUROC a categorical feature needs")
    g.add_argument("--persist", type=nonneg_int,
                   help="emergence needs presence >= tau at this many consecutive checkpoints (0 = all later)")
    g.add_argument("--lm-steps", type=nonneg_int,
                   help="toy LM training steps (checkpoints 0,1,2,4,8 then every 16 steps)")
    g.add_argument("--lm-seeds", type=positive_int, help="LM seeds per size")
    g.add_argument("--sae-seeds", type=positive_int, help="SAE seeds per (LM seed, checkpoint, layer)")
    g.add_argument("--doc-means", action="store_true", help="SAEs on document means instead of per-token activations")
    g.add_argument("--no-auxk", action="store_true", help="TopK SAEs without the AuxK loss against dead latents")
    p.add_argument("--no-minilm", action="store_true", help="skip the real MiniLM (layer axis)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="master seed (default 0)")
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads (default 1: reproducible)")
    p.add_argument("--jobs", type=positive_int, default=1,
                   help="worker processes for the (size, LM seed) parts (default 1; the tables do not depend on it)")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep the toy LM step<N>/ folders in --out")
    add_out_dir_argument(p, "tables, plots and results.json")
    add_progress_argument(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def config_from_args(args):
    """The preset with the command-line overrides applied (validated: bad values raise CapacityError)."""
    from ..emergence import PRESETS, LMTrainConfig, dense_checkpoints

    if args.preset not in PRESETS:
        raise CapacityError(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    cfg = PRESETS[args.preset].with_seed(args.seed)
    sae = cfg.sae
    if args.sae is not None:
        sae = replace(sae, kind=args.sae)
    if args.k is not None:
        sae = replace(sae, k=args.k)
    if args.l1_coeff is not None:
        sae = replace(sae, l1_coeff=args.l1_coeff)
    if args.expansion is not None:
        sae = replace(sae, expansion=args.expansion)
    if args.no_auxk:
        sae = replace(sae, auxk=False)
    sc = cfg.scores
    for name in ("purity_min", "auroc_min", "persist"):
        if getattr(args, name) is not None:
            sc = replace(sc, **{name: getattr(args, name)})
    if sc.absent_max > sc.purity_min:
        sc = replace(sc, absent_max=sc.purity_min)
    lm = cfg.lm if args.lm_steps is None else LMTrainConfig(
        steps=args.lm_steps, batch_size=cfg.lm.batch_size, lr=cfg.lm.lr, seed=cfg.lm.seed,
        checkpoints=dense_checkpoints(args.lm_steps))
    minilm = 0 if args.no_minilm else cfg.minilm_per_category
    seeds = {k: getattr(args, k) for k in ("lm_seeds", "sae_seeds") if getattr(args, k) is not None}
    return replace(cfg, sae=sae, scores=sc, lm=lm, layers=args.layers, minilm_per_category=minilm,
                   tokens=cfg.tokens and not args.doc_means, **seeds)


def _versions() -> dict:
    import platform

    import numpy
    import torch
    import transformers

    from .. import __version__

    return {"capacity": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def run(args) -> int:
    from ..emergence.report import write_report
    from ..emergence.sources import load_checkpoint_series

    out = output_dir(args.out)
    config = config_from_args(args)
    if args.checkpoints is not None:
        load_checkpoint_series(args.checkpoints)  # a missing or malformed folder fails before anything else
    versions = _versions()  # run_emergence checks layers and k against every model before any work

    from ..emergence import run_emergence

    with staged_dir(out) as tmp:
        t0 = time.perf_counter()
        result = run_emergence(config, tmp, checkpoints=args.checkpoints, progress=not args.no_progress,
                               threads=args.threads, sae_dir=tmp / "saes", jobs=args.jobs)
        wall = time.perf_counter() - t0
        if not args.keep_checkpoints:
            shutil.rmtree(tmp / "checkpoints", ignore_errors=True)
        files = write_report(result, tmp, {"versions": versions, "wall_seconds": round(wall, 1),
                                           "threads": args.threads})
        if (tmp / "saes").is_dir():
            files.append("saes/")

    summary = {"command": "emergence", "preset": config.name, "seed": config.seed, "out": str(out),
               "files": files, "wall_seconds": round(wall, 1), "timings_seconds": result.timings}
    if args.json:
        print_json(summary)
        return 0
    print((out / "tables.md").read_text())
    print(f"wrote {len(files)} files to {out} in {wall:.0f} s", file=sys.stdout)
    return 0
