"""``capacity fpe``: Fixed Parameter Expansion (split neurons into children with disjoint input masks).

Subcommands:

* ``--preset smoke|quick|full --out DIR`` (or ``all ...``): every part; tables (Markdown + CSV), plots and
  ``summary.json`` (smoke: seconds, for a first look; quick: a smaller grid; full: the pre-registered study);
* ``study`` / ``exact`` / ``collision``: one part only, same options;
* ``expand --model FILE --alpha A [--split random|clause|gram] [--clauses DNF] --out FILE.npz``: expand a trained
  model (``.npz``, ``.pt``/``.pth`` state dict of Linear layers) and save the expanded network and its masks.

The output directory is written to a temporary directory next to it and renamed when complete. torch is imported
inside :func:`run` only.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CapacityError
from ._common import (
    nonneg_int,
    output_dir,
    output_file,
    positive_int,
    print_json,
    staged_dir,
    write_atomic,
)

HELP = "fixed parameter expansion (FPE): the pre-registered study, or expand a model"

PARTS = ("all", "study", "exact", "collision")
PRESET_NAMES = ("smoke", "quick", "full")


def _run_options(q, suppress: bool) -> None:
    """The experiment options; on a part's subcommand they default to the values given before it."""
    import argparse

    d = (lambda v: argparse.SUPPRESS) if suppress else (lambda v: v)
    q.add_argument("--preset", choices=PRESET_NAMES, default=d("quick"),
                   help="smoke (seconds), quick (minutes) or full (the pre-registered study; default quick)")
    q.add_argument("--seeds", type=positive_int, default=d(None), help="override the preset's number of seeds")
    q.add_argument("--seed", type=nonneg_int, default=d(0), help="base seed (default 0)")
    q.add_argument("--jobs", type=positive_int, default=d(1),
                   help="processes, one data set each (default 1; the numbers do not depend on it)")
    q.add_argument("--out", "-o", default=d(None), metavar="DIR",
                   help="output directory for tables, plots and summary.json (absent or empty)")
    q.add_argument("--json", action="store_true", default=d(False), help="print the summary as JSON")
    q.add_argument("--no-progress", action="store_true", default=d(False), help="no progress bars on stderr")


def add_arguments(p) -> None:
    _run_options(p, suppress=False)
    sub = p.add_subparsers(dest="fpe_command", metavar="WHAT")
    for name in PARTS:
        q = sub.add_parser(name, help="every part (the default)" if name == "all" else f"the {name} part only")
        _run_options(q, suppress=True)
    e = sub.add_parser("expand", help="expand a trained model by alpha at an equal non-zero count")
    e.add_argument("--model", required=True, help="model file: .npz (Network.save) or .pt/.pth state dict")
    e.add_argument("--alpha", type=int, required=True,
                   help="children per neuron (>= 2, <= fan-in)")
    e.add_argument("--split", choices=("random", "clause", "gram"), default="random", help="how inputs are split")
    e.add_argument("--clauses", default=None, help="clause split: a DNF over the model's inputs, e.g. 'x0&x1|x2&~x3'")
    e.add_argument("--seed", type=nonneg_int, default=0, help="seed of the random split")
    e.add_argument("--out", "-o", required=True, metavar="PATH",
                   help="output file .npz (expanded network + masks); its directory must exist")
    e.add_argument("--json", action="store_true", help="print a summary as JSON")


def _expand(args) -> int:
    import io

    import numpy as np

    from ..fpe import fpe_expand
    from ..torch_io import load_model

    out = output_file(args.out, "--out", suffix=".npz")
    if out.absolute() == Path(args.model).absolute():
        raise CapacityError(f"--out {args.out} is the input model; choose another file")
    net = load_model(args.model)
    e = fpe_expand(net, args.alpha, split=args.split, clauses=args.clauses, seed=args.seed)
    arrays = {"W_in": e.network.W_in, "b_in": e.network.b_in, "W_out": e.network.W_out, "b_out": e.network.b_out,
              "activation": np.array("relu")}
    for k, (W, b) in enumerate(zip(e.network.W_hidden, e.network.b_hidden)):
        arrays[f"W_hidden_{k}"], arrays[f"b_hidden_{k}"] = W, b
    for k, m in enumerate(e.masks):
        arrays[f"mask_{k}"] = m
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_atomic(out, buf.getvalue())
    info = {"alpha": e.alpha, "split": e.split, "widths_before": list(net.widths),
            "widths_after": list(e.network.widths), "nonzero_budget": e.budget, "pruned": e.n_pruned,
            "out": str(out)}
    if args.json:
        print_json(info)
    else:
        print(f"expanded widths {info['widths_before']} -> {info['widths_after']} at {e.budget} non-zero weights "
              f"({e.n_pruned} pruned); wrote {out}")
    return 0


def run(args) -> int:
    if args.fpe_command == "expand":
        return _expand(args)
    if args.out is None:
        raise CapacityError("--out DIR is required (where the tables and plots go)")
    out = output_dir(args.out)
    from dataclasses import replace

    import torch

    from ..fpe.report import PARTS as ALL_PARTS
    from ..fpe.report import PRESETS, run_all

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    preset = PRESETS[args.preset]
    study = replace(preset.study, seed=args.seed, **({} if args.seeds is None else {"seeds": args.seeds}))
    preset = replace(preset, study=study, exact=replace(preset.exact, seed=args.seed), seed=args.seed)
    command = args.fpe_command or "all"
    parts = ALL_PARTS if command == "all" else (command,)
    with staged_dir(out) as tmp:
        summary = run_all(preset, tmp, progress=not args.no_progress, parts=parts, jobs=args.jobs)
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {out}/tables.md ({', '.join(parts)}; {sum(summary['seconds'].values()):.0f} s)")
    return 0
