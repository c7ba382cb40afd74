"""Batched training (``capacity.train.train``) against one network at a time (``capacity.train.train_loop``).

Both train the same workload in one run of this script: 64 small networks by default (four tasks on 6 inputs,
kand / dnf / cnf / vision1d with 4 features each, times 16 seeds), ReLU width 8, full batch over the 64 points
of ``{0,1}^6``, Adam. Both timings come after a short warm-up (torch's first-call costs are not counted).
The script also reports how well the two agree: the largest weight difference (float summation order only)
and the share of (network, feature) computed flags that match.

Usage:
    python benchmarks/bench_training.py                   # 16 seeds x 4 tasks, 1000 steps, 1 torch thread
    python benchmarks/bench_training.py --seeds 4 --steps 200 --threads 2 --out /tmp/bench

Writes ``<out>/training.json`` and ``<out>/training.md`` (default ``benchmarks/out/``, untracked; the tracked
figures in ``benchmarks/results/`` change only with ``--out benchmarks/results``). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def workload(seed: int = 0):
    from capacity.tasks import cnf_task, dnf_task, kand_task, vision1d_task

    return [
        kand_task(6, 4, k=2, seed=seed),
        dnf_task(6, 4, 2, 2, seed=seed),
        cnf_task(6, 4, 2, 2, seed=seed),
        vision1d_task(6, 3, 4, seed=seed),
    ]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="batched vs one-at-a-time training")
    p.add_argument("--seeds", type=int, default=16, help="seeds per task (4 tasks)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--hidden", type=int, default=8)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--out", default=str(Path(__file__).parent / "out"), help="output folder (default benchmarks/out/, not tracked; --out benchmarks/results rewrites the tracked figures)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = p.parse_args(argv)

    import torch

    import capacity
    from capacity.train import TrainConfig, train, train_loop

    torch.set_num_threads(args.threads)
    tasks = workload()
    seeds = tuple(range(args.seeds))
    config = TrainConfig(hidden=(args.hidden,), steps=args.steps, lr=0.02, log_every=max(1, args.steps // 50))
    n_nets = len(tasks) * len(seeds)

    warm = TrainConfig(hidden=(args.hidden,), steps=20, log_every=10)
    train(tasks[:1], warm, seeds=(0,), progress=False)
    train_loop(tasks[:1], warm, seeds=(0,), progress=False)

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    batched = train(tasks, config, seeds, progress=not args.no_progress)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    looped = train_loop(tasks, config, seeds, progress=not args.no_progress)
    t_loop = time.perf_counter() - t0
    load_after = os.getloadavg()

    assert batched.instances == looped.instances
    diff = max(float(np.abs(a - b).max()) for x, y in zip(batched.networks, looped.networks)
               for (a, c), (b, d) in zip(x.layers, y.layers) for a, b in ((a, b), (c, d)))
    agree = float((batched.computed == looped.computed).mean())
    result = {
        "benchmark": "training",
        "workload": {"tasks": [t.to_dict() for t in tasks], "seeds": len(seeds), "networks": n_nets,
                     "points_per_task": tasks[0].domain.size},
        "config": config.to_dict(),
        "torch_threads": args.threads,
        "seconds_batched": round(t_batched, 3),
        "seconds_one_at_a_time": round(t_loop, 3),
        "speedup": round(t_loop / t_batched, 2),
        "max_weight_difference": diff,
        "computed_flags_agree": agree,
        "networks_computing_all_features": {"batched": int(batched.computed.all(axis=1).sum()),
                                            "one_at_a_time": int(looped.computed.all(axis=1).sum())},
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "versions": {"capacity": capacity.__version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "training.json").write_text(json.dumps(result, indent=1) + "\n")
    md = [
        "# Batched vs one-at-a-time training",
        "",
        (f"Workload: {n_nets} networks ({len(tasks)} tasks on {tasks[0].n_inputs} inputs x {len(seeds)} seeds), "
         f"hidden {args.hidden}, {args.steps} full-batch Adam steps over {tasks[0].domain.size} points, "
         f"{args.threads} torch thread(s). Command: `python benchmarks/bench_training.py"
         f"{''.join(' ' + a for a in argv)}`."),
        "",
        "| method | seconds | networks/s |",
        "|---|---:|---:|",
        f"| `train` (batched) | {t_batched:.2f} | {n_nets / t_batched:.1f} |",
        f"| `train_loop` (one at a time) | {t_loop:.2f} | {n_nets / t_loop:.1f} |",
        "",
        f"**Speed-up: {t_loop / t_batched:.1f}x** (both measured in the same run).",
        "",
        (f"Agreement: largest weight difference {diff:.2g} (float summation order only); computed flags "
         f"agree on {100 * agree:.1f}% of (network, feature) pairs; networks computing all their features: "
         f"{result['networks_computing_all_features']['batched']} batched, "
         f"{result['networks_computing_all_features']['one_at_a_time']} one at a time."),
        "",
        (f"Load average before/after: {result['load_average_before_after']} on {os.cpu_count()} CPUs; "
         f"torch {torch.__version__}, numpy {np.__version__}, Python {platform.python_version()}."),
        "",
    ]
    (out / "training.md").write_text("\n".join(md))
    print("\n".join(md))
    return result


if __name__ == "__main__":
    main()
