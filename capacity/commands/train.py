"""``capacity train``: train networks on a Boolean task with gradient descent and judge them exactly.

Writes into ``--out`` (which must not exist or be empty): one ``net_seed<S>.npz`` per network
(``Network.save``; read back with ``Network.load``), ``summary.json``, ``summary.csv`` (one row per seed and
feature: exact error rate over the whole domain and whether the feature is computed, plus the config, the
seeds and the versions) and ``loss.png``. The files are written to a temporary directory that is renamed to
``--out`` only when all of them exist, so a failure leaves nothing behind.

``--seed S`` draws the task and is mixed into every network's seed; ``--seeds N`` trains networks with seeds
``0 .. N-1``. All training defaults are ours: the paper's settings are unknown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import (
    add_out_dir_argument,
    add_progress_argument,
    nonneg_float,
    nonneg_int,
    output_dir,
    positive_float,
    positive_int,
    print_json,
    probability,
    staged_dir,
)

HELP = "train networks on a Boolean task (kand, dnf, cnf, vision1d) and check them exactly"


def widths(text: str) -> tuple[int, ...]:
    """``N[,N2,...]``: hidden layer widths."""
    parts = [p.strip() for p in text.split(",")]
    try:
        out = tuple(positive_int(p) for p in parts)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected positive widths like 16 or 16,8, got {text!r}") from None
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("task (defaults are ours)")
    g.add_argument("--task", required=True, choices=("kand", "dnf", "cnf", "vision1d"),
                   help="kand: random k-ANDs; dnf/cnf: random formulas; vision1d: patterns in windows of a strip")
    g.add_argument("--inputs", "-m", type=positive_int, help="number of Boolean inputs (kand, dnf, cnf)")
    g.add_argument("--sparsity", "-s", type=nonneg_int, help="only inputs with at most S ones (default: all)")
    g.add_argument("--n-features", type=positive_int, dest="n_features",
                   help="number of target features (default: all k-ANDs for kand, 4 otherwise)")
    g.add_argument("--k", type=positive_int, help="literals per AND (kand; default 2)")
    g.add_argument("--clauses", type=positive_int, help="clauses per formula (dnf, cnf; default 2)")
    g.add_argument("--width", type=positive_int, help="literals per clause (dnf, cnf; default 2)")
    g.add_argument("--negations", type=probability, help="probability of a negated literal (dnf, cnf; default 0.5)")
    g.add_argument("--length", "-L", type=positive_int, help="pixels in the strip (vision1d)")
    g.add_argument("--window", type=positive_int, help="pixels per pattern window (vision1d)")
    g.add_argument("--positive-only", dest="exact", action="store_const", const=False, default=None,
                   help="vision1d: a pattern's 0-pixels are not checked (default: exact match)")
    t = p.add_argument_group("training (defaults are ours)")
    t.add_argument("--hidden", type=widths, required=True, help="hidden widths N[,N2,...] (one = two-layer MLP)")
    t.add_argument("--steps", type=positive_int, default=2000, help="Adam steps (default 2000)")
    t.add_argument("--lr", type=positive_float, default=1e-2, help="Adam learning rate (default 0.01)")
    t.add_argument("--loss", choices=("bce", "mse"), default="bce", help="bce (default) or mse on sigmoid outputs")
    t.add_argument("--batch-size", type=positive_int, default=None, help="points per step (default: full batch)")
    t.add_argument("--samples", type=positive_int, default=None,
                   help="training points per network (default: the whole domain when it has <= 4096 points)")
    t.add_argument("--init-scale", type=positive_float, default=1.0, help="multiplies nn.Linear's init (default 1)")
    t.add_argument("--weight-decay", type=nonneg_float, default=0.0, help="Adam L2 penalty (default 0)")
    t.add_argument("--seeds", type=positive_int, required=True, help="number of networks (seeds 0..N-1)")
    t.add_argument("--seed", type=nonneg_int, default=0, help="base seed: draws the task, mixed into every network")
    t.add_argument("--threads", type=positive_int, default=None,
                   help="torch threads (default: torch's own choice; 1 is often fastest for small networks)")
    add_out_dir_argument(p, "the networks, summary.json, summary.csv and loss.png")
    add_progress_argument(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")


def _versions() -> dict:
    import platform

    import numpy
    import torch

    from .. import __version__

    return {"capacity": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def _plot(result, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (_, s) in enumerate(result.instances):
        ax.plot(result.logged_steps, result.loss_history[i], lw=1, label=f"seed {s}" if i < 10 else None)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"training loss ({result.config.loss})")
    ax.set_title(title, fontsize=9)
    if len(result.instances) <= 10:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _write(out: Path, result, summary: dict, frame, title: str) -> list[str]:
    """Write everything into a temporary sibling directory, renamed to ``out`` when complete."""
    import json

    with staged_dir(out) as tmp:
        for inst, net in zip(summary["instances"], result.networks):
            net.save(tmp / inst["model"])
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
        frame.to_csv(tmp / "summary.csv", index=False)
        _plot(result, tmp / "loss.png", title)
    return sorted(p.name for p in out.iterdir())


def run(args) -> int:
    from ..tasks import task_from_args
    from ..train import TrainConfig, train

    task = task_from_args(args.task, inputs=args.inputs, sparsity=args.sparsity, features=args.n_features, k=args.k,
                          clauses=args.clauses, width=args.width, negations=args.negations, length=args.length,
                          window=args.window, exact=args.exact, seed=args.seed)
    config = TrainConfig(hidden=args.hidden, loss=args.loss, lr=args.lr, steps=args.steps,
                         batch_size=args.batch_size, n_samples=args.samples, init_scale=args.init_scale,
                         weight_decay=args.weight_decay, seed=args.seed)
    out = output_dir(args.out)
    seeds = tuple(range(args.seeds))
    versions = _versions()  # imports torch
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)

    result = train(task, config, seeds, progress=not args.no_progress)

    summary = {
        "command": "train",
        "task": task.to_dict(),
        "config": config.to_dict(),
        "seeds": list(seeds),
        "versions": versions,
        "seconds": round(result.seconds, 3),
        "instances": [],
    }
    for i, (_, s) in enumerate(result.instances):
        summary["instances"].append({
            "seed": s, "model": f"net_seed{s}.npz", "final_loss": float(result.final_loss[i]),
            "n_computed": int(result.computed[i].sum()), "parameter_size": result.networks[i].parameter_size,
            "features": [{"name": n, "error_rate": float(result.error_rates[i, f]),
                          "computed": bool(result.computed[i, f])} for f, n in enumerate(task.features.names)],
        })
    frame = result.to_frame()
    frame["model"] = [f"net_seed{s}.npz" for s in frame["seed"]]
    frame["task_seed"] = task.seed
    for key, value in config.to_dict().items():
        frame[f"config_{key}"] = ",".join(map(str, value)) if isinstance(value, list) else value
    for key, value in versions.items():
        frame[f"{key}_version"] = value
    title = f"{task.name} {task.params}, hidden {','.join(map(str, config.hidden))}"
    files = _write(out, result, summary, frame, title)
    summary["out"] = str(out)
    summary["files"] = files

    if args.json:
        print_json(summary)
        return 0
    n_feat = task.n_features
    print(f"task {task.name}: {n_feat} features on {task.domain} ({task.domain.size} points), seed {task.seed}; "
          f"hidden {','.join(map(str, config.hidden))}, {config.loss}, {config.steps} steps, lr {config.lr}")
    print(f"{'seed':>5}  {'final loss':>10}  {'computed':>9}  {'max error':>9}")
    for i, (_, s) in enumerate(result.instances):
        print(f"{s:>5}  {result.final_loss[i]:>10.3g}  {int(result.computed[i].sum()):>4}/{n_feat:<4}  "
              f"{result.error_rates[i].max():>9.4f}")
    all_seeds = int(result.computed.all(axis=0).sum())
    print(f"computed by every seed: {all_seeds}/{n_feat} features; wrote {len(files)} files to {out}",
          file=sys.stdout)
    return 0
