"""``capacity fpe``: Fixed Parameter Expansion (split neurons into children with disjoint input masks).

Subcommands:

* ``all --preset smoke|quick|full --out DIR``: every experiment; tables (Markdown + CSV), plots and
  ``summary.json`` (smoke: seconds, for a first look; quick: the shipped results; full: more seeds and sweeps);
* ``boolean`` / ``real`` / ``exact`` / ``collision``: one part only, same options;
* ``expand --model FILE --alpha A [--split random|clause|gram] [--clauses DNF] --out FILE.npz``: expand a trained
  model (``.npz``, ``.pt``/``.pth`` state dict of Linear layers) and save the expanded network and its masks.

The output directory is written to a temporary directory next to it and renamed when complete. torch is imported
inside :func:`run` only.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CapacityError
from ._common import (
    add_out_dir_argument,
    add_progress_argument,
    nonneg_int,
    output_dir,
    output_file,
    positive_int,
    print_json,
    staged_dir,
    write_atomic,
)

HELP = "fixed parameter expansion (FPE): expand a model, or run the experiments and write tables and plots"

PARTS = ("all", "boolean", "real", "exact", "collision")
PRESET_NAMES = ("smoke", "quick", "full")


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="fpe_command", metavar="WHAT", required=True)
    for name in PARTS:
        q = sub.add_parser(name, help="every experiment" if name == "all" else f"the {name} experiment only")
        q.add_argument("--preset", choices=PRESET_NAMES, default="quick",
                       help="smoke (seconds), quick (default, the shipped results, minutes) or full (longer)")
        q.add_argument("--seeds", type=positive_int, default=None, help="override the preset's number of seeds")
        q.add_argument("--seed", type=nonneg_int, default=0, help="base seed (default 0)")
        q.add_argument("--threads", type=positive_int, default=1, help="torch threads (default 1: deterministic)")
        add_out_dir_argument(q, "tables, plots and summary.json")
        q.add_argument("--json", action="store_true", help="print the summary as JSON")
        add_progress_argument(q)
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
    out = output_dir(args.out)
    from dataclasses import replace

    import torch

    from ..fpe.report import PRESETS, run_all

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    preset = PRESETS[args.preset]
    b, r, x = preset.boolean, preset.real, preset.exact
    b, r, x = replace(b, seed=args.seed), replace(r, seed=args.seed), replace(x, seed=args.seed)
    if args.seeds is not None:
        b, r = replace(b, seeds=args.seeds), replace(r, seeds=args.seeds)
    preset = replace(preset, boolean=b, real=r, exact=x, seed=args.seed)
    parts = ("boolean", "real", "exact", "collision") if args.fpe_command == "all" else (args.fpe_command,)
    with staged_dir(out) as tmp:
        summary = run_all(preset, tmp, progress=not args.no_progress, parts=parts)
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {out}/tables.md ({', '.join(parts)}; {sum(summary['seconds'].values()):.0f} s)")
    return 0
