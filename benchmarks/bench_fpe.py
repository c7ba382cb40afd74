"""FPE benchmark: the whole pre-registered sweep's wall and CPU time, and batched vs one-network-at-a-time training.

1. *Batched vs loop* (same run): every run of one seed of one data set (all points, all variants, one learning
   rate; ``--steps`` steps) trained the way the study trains them, batched by width with
   ``capacity.train.fit`` (``capacity.fpe.study._phase``), and then one network per ``fit`` call. Both see the
   same initialisations, masks and minibatches (per-run seeds), so the weights agree up to float summation
   order; DropConnect runs differ (their noise depends on the batch) and are left out of the agreement column.
2. *The sweep* (``--sweep``): ``run_study`` of the preset with ``--jobs`` processes: wall seconds, CPU seconds of
   this process and its children, and the load average, so a reader can estimate the idle 2-core time
   (CPU seconds / 2 with two busy processes).

Usage:
    python benchmarks/bench_fpe.py                               # ratio only (boolean-single, seed 0, 200 steps)
    python benchmarks/bench_fpe.py --sweep --preset full --jobs 2 # plus the whole registered sweep

Writes ``<out>/fpe.json`` and ``<out>/fpe.md`` (default ``benchmarks/out/``, untracked; the tracked figures in
``benchmarks/results/`` change only with ``--out benchmarks/results``). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np


def _cpu() -> float:
    return time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def batched_vs_loop(data: str, steps: int, lr: float, progress: bool) -> dict:
    from capacity.fpe.report import PRESETS
    from capacity.fpe.study import _all_lrs, _phase, _plan, boolean_data, real_data

    cfg = PRESETS["full"].study
    if data.startswith("boolean-"):
        task = data.split("-", 1)[1]
        d = boolean_data(task, cfg.k if task == "single" else cfg.k_multi, 0, cfg.n_train, cfg.n_val, cfg.n_test)
        n_values = cfg.n_values
    else:
        d, n_values = real_data(data, 0), cfg.real_n_values
    runs = [r for r in _plan(d, 0, cfg, n_values, _all_lrs(cfg, d, n_values, (lr,))) if r.variant != "untrained"]
    datas = {(data, 0): d}
    a, b = copy.deepcopy(runs), copy.deepcopy(runs)
    w0, c0 = time.perf_counter(), _cpu()
    _phase(a, datas, cfg, steps, progress, "batched", final=False)
    w1, c1 = time.perf_counter(), _cpu()
    for i, r in enumerate(b):
        _phase([r], datas, cfg, steps, False, f"loop {i}", final=False)
    w2, c2 = time.perf_counter(), _cpu()
    diff = max(float(np.abs(x - y).max()) for ra, rb in zip(a, b) if ra.drop == 0
               for x, y in zip(ra.weights, rb.weights))
    return {"data": data, "networks": len(runs), "steps": steps, "lr": lr,
            "batched_wall_s": w1 - w0, "batched_cpu_s": c1 - c0, "loop_wall_s": w2 - w1, "loop_cpu_s": c2 - c1,
            "ratio_wall": (w2 - w1) / (w1 - w0), "ratio_cpu": (c2 - c1) / (c1 - c0),
            "max_weight_difference": diff}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="FPE: sweep time and batched vs one-at-a-time training")
    p.add_argument("--data", default="boolean-single", help="data set of the batched-vs-loop workload")
    p.add_argument("--steps", type=int, default=200, help="steps of the batched-vs-loop workload")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--sweep", action="store_true", help="also time the whole sweep of --preset")
    p.add_argument("--preset", default="full", choices=("smoke", "quick", "full"))
    p.add_argument("--jobs", type=int, default=2, help="processes for the sweep (default 2)")
    p.add_argument("--sweep-from", default=None, metavar="SUMMARY",
                   help="instead of --sweep, quote the wall/CPU seconds and load stored in a study run's summary.json")
    p.add_argument("--out", default=str(Path(__file__).parent / "out"),
                   help="output folder (default benchmarks/out/; benchmarks/results rewrites the tracked figures)")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = p.parse_args(argv)

    import torch

    import capacity

    torch.set_num_threads(1)
    say = (lambda m: None) if args.no_progress else (lambda m: print(m, file=sys.stderr, flush=True))
    load0 = os.getloadavg()
    say(f"batched vs one at a time: {args.data}, seed 0, every variant and point, {args.steps} steps ...")
    ratio = batched_vs_loop(args.data, args.steps, args.lr, not args.no_progress)
    sweep = None
    if args.sweep:
        from capacity.fpe.report import PRESETS
        from capacity.fpe.study import run_study

        say(f"the whole {args.preset} sweep with {args.jobs} processes ...")
        w0, c0 = time.perf_counter(), _cpu()
        _, _, per = run_study(PRESETS[args.preset].study, progress=not args.no_progress, jobs=args.jobs)
        sweep = {"preset": args.preset, "jobs": args.jobs, "wall_s": time.perf_counter() - w0, "cpu_s": _cpu() - c0,
                 "wall_s_per_data_set": per}
    elif args.sweep_from:
        sm = json.loads(Path(args.sweep_from).read_text())
        sweep = {"preset": sm["preset"], "jobs": sm["study"]["jobs"], "wall_s": sm["seconds"]["study"],
                 "cpu_s": sm["cpu_seconds"]["study"], "wall_s_per_data_set": sm["study"]["seconds_per_data_set"],
                 "load_average_at_end": sm.get("load_average"), "from": args.sweep_from}
    load1 = os.getloadavg()
    result = {"benchmark": "fpe", "batched_vs_loop": ratio, "sweep": sweep, "load_average_before_after":
              [load0[0], load1[0]], "cpus": os.cpu_count(), "torch_threads": 1,
              "versions": {"capacity": capacity.__version__, "torch": torch.__version__, "numpy": np.__version__,
                           "python": platform.python_version()}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fpe.json").write_text(json.dumps(result, indent=1) + "\n")
    r = ratio
    md = ["# FPE benchmark", "",
          f"Command: `python benchmarks/bench_fpe.py{''.join(' ' + a for a in argv)}`; 1 torch thread; load average "
          f"{load0[0]:.1f} before, {load1[0]:.1f} after, on {os.cpu_count()} CPUs.", "",
          f"Batched vs one network per call ({r['networks']} networks: {args.data}, seed 0, every variant and point, "
          f"{r['steps']} steps, lr {r['lr']:g}), same run:", "",
          "| | batched | one at a time | ratio |", "|---|---:|---:|---:|",
          f"| wall s | {r['batched_wall_s']:.1f} | {r['loop_wall_s']:.1f} | **{r['ratio_wall']:.1f}x** |",
          f"| CPU s | {r['batched_cpu_s']:.1f} | {r['loop_cpu_s']:.1f} | **{r['ratio_cpu']:.1f}x** |", "",
          f"Largest weight difference between the two (DropConnect runs left out): {r['max_weight_difference']:.2g}: "
          "the same initialisations, masks and minibatches, but a batched matrix product adds in another order, and "
          "200 Adam steps amplify the rounding differences (a ReLU unit near 0 on a Boolean input can switch).", ""]
    if sweep:
        if sweep.get("from"):
            md += [f"The sweep figures below are those stored by the study run itself (`{sweep['from']}`, load "
                   f"average {sweep['load_average_at_end'][0]:.1f} when it ended), not a second run.", ""]
        md += [f"Whole `{sweep['preset']}` sweep with {sweep['jobs']} processes: wall {sweep['wall_s']:.0f} s, CPU "
               f"{sweep['cpu_s']:.0f} s (this process and its children). On 2 idle cores with both processes busy "
               f"the wall time would be about CPU / 2 = {sweep['cpu_s'] / 2:.0f} s (an estimate, not a measurement).",
               ""]
    (out / "fpe.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return result


if __name__ == "__main__":
    main()
