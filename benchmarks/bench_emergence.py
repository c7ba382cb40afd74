"""Batched SAE training over the emergence grid against loops, plus the vectorised AUROC, in one run.

On the real per-token activations of one LM seed of the preset's largest toy size (every checkpoint x layer):

1. **batched**: every (SAE seed, checkpoint, layer) SAE as one batched model (``train_saes`` with one seed per
   instance), as the grid trains them;
2. **loop over SAE seeds**: one batched call per SAE seed (batched over checkpoints x layers only);
3. **one at a time**: ``train_saes_loop`` on ``--loop-sample`` instances, scaled to all instances (per-instance
   time x instances; said so in the table);
4. vectorised AUROC (rank formula) against ``sklearn.metrics.roc_auc_score`` per latent and category.

``--grid`` also times the whole preset (``run_emergence``). Every timing records wall seconds and CPU seconds
(own process plus children), and the load average before and after: the machine may be shared, so a reader can
estimate the idle time from the CPU seconds.

Usage:
    python benchmarks/bench_emergence.py                    # quick preset's largest size
    python benchmarks/bench_emergence.py --preset smoke --out /tmp/bench

Writes ``<out>/emergence.json`` and ``<out>/emergence.md`` (default ``benchmarks/out/``, untracked; the tracked
figures in ``benchmarks/results/`` change only with ``--out benchmarks/results``). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _cpu() -> float:
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def _timed(fn):
    w0, c0 = time.perf_counter(), _cpu()
    out = fn()
    return out, round(time.perf_counter() - w0, 3), round(_cpu() - c0, 3)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="emergence: batched SAEs vs loops, vectorised AUROC")
    p.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"), help="capacity emergence preset")
    p.add_argument("--loop-sample", type=int, default=24, help="instances trained one at a time (default 24)")
    p.add_argument("--grid", action="store_true", help="also time the preset's whole grid (run_emergence)")
    p.add_argument("--out", default=str(Path(__file__).parent / "out"),
                   help="output folder (default benchmarks/out/, not tracked)")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = p.parse_args(argv)

    import torch

    import capacity
    from capacity.emergence import (
        PRESETS,
        Corpus,
        auroc,
        auroc_loop,
        load_checkpoint_series,
        resid_activations,
        run_emergence,
        train_saes,
        train_saes_loop,
    )
    from capacity.emergence.lm import train_toylm
    from capacity.emergence.pipeline import _Data

    torch.set_num_threads(1)

    def say(msg):
        if not args.no_progress:
            print(msg, file=sys.stderr, flush=True)

    cfg = PRESETS[args.preset]
    size = cfg.sizes[-1]
    load_before = os.getloadavg()
    corpus = Corpus(cfg.corpus)
    data = _Data(cfg, corpus)
    res = {"benchmark": "emergence", "preset": cfg.name, "size": size.name, "torch_threads": 1}
    with tempfile.TemporaryDirectory() as work:
        say(f"LM {size.name}, {cfg.lm.steps} steps, and its per-token activations ...")
        train_toylm(size, corpus, cfg.lm, Path(work) / "lm", progress=not args.no_progress)
        series = load_checkpoint_series(Path(work) / "lm")
        A = np.stack([resid_activations(series.load(s), data.tok_tr, positions=data.train_positions)
                      for s in series.steps])  # [T, L, N, d]
        A_ev = resid_activations(series.load(series.steps[-1]), data.tok_ev, positions=data.eval_positions)
        if args.grid:
            say(f"the whole {cfg.name} grid ...")
            grid, w, c = _timed(lambda: run_emergence(cfg, Path(work) / "grid", progress=not args.no_progress))
            res["grid"] = {"wall_seconds": w, "cpu_seconds": c, "stage_seconds": grid.timings}
    T, L, N, d = A.shape
    X = A.reshape(T * L, N, d)
    J = cfg.sae_seeds
    seeds = np.repeat(np.arange(J), T * L)
    n = len(seeds)
    say(f"batched: {n} SAEs ({J} SAE seeds x {T} checkpoints x {L} layers) in one model ...")
    batched, wb, cb = _timed(lambda: train_saes(np.tile(X, (J, 1, 1)), cfg.sae, seeds=seeds, progress=False))
    say("loop over SAE seeds ...")
    _, ws, cs = _timed(lambda: [train_saes(X, cfg.sae, seeds=np.full(T * L, j), progress=False) for j in range(J)])
    k = min(args.loop_sample, n)
    pick = np.random.default_rng(0).choice(T * L, size=k, replace=False)
    say(f"one at a time: {k} SAEs ...")
    looped, wl, cl = _timed(lambda: train_saes_loop(X[pick], cfg.sae))
    fvu_b = float(np.median(batched.metrics(np.tile(X, (J, 1, 1)))["fvu"]))
    fvu_l = float(np.median(looped.metrics(X[pick])["fvu"]))
    res["sae"] = {"instances": n, "examples": N, "d_in": d, "d_sae": batched.d_sae, "steps": cfg.sae.steps,
                  "batched": {"wall": wb, "cpu": cb},
                  "loop_over_sae_seeds": {"wall": ws, "cpu": cs},
                  "one_at_a_time_sample": {"instances": k, "wall": wl, "cpu": cl,
                                           "scaled_wall": round(wl / k * n, 1), "scaled_cpu": round(cl / k * n, 1)},
                  "ratio_seed_loop_over_batched_cpu": round(cs / cb, 2),
                  "ratio_one_at_a_time_over_batched_cpu": round(cl / k * n / cb, 2),
                  "median_fvu_batched": fvu_b, "median_fvu_one_at_a_time": fvu_l}

    say("vectorised AUROC vs sklearn per latent ...")
    F = batched.select(T * L - 1).encode(A_ev[-1:])[0]
    K = len(corpus.names)
    auroc_loop(F[:10, :2], data.y_ev[:10], K)  # warm-up: sklearn's import is not counted
    a_vec, wv, cv = _timed(lambda: [auroc(F, data.y_ev, K) for _ in range(5)])
    a_loop, wa, ca = _timed(lambda: auroc_loop(F, data.y_ev, K))
    res["auroc"] = {"examples": int(F.shape[0]), "latents": int(F.shape[1]), "categories": K,
                    "vectorised": {"wall": wv / 5, "cpu": cv / 5}, "sklearn_loop": {"wall": wa, "cpu": ca},
                    "ratio_cpu": round(ca / max(cv / 5, 1e-9), 1),
                    "max_abs_difference": float(np.abs(a_vec[0] - a_loop).max())}
    res["load_average_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
    res["versions"] = {"capacity": capacity.__version__, "torch": torch.__version__, "numpy": np.__version__,
                       "python": platform.python_version()}
    res["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "emergence.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    s, a = res["sae"], res["auroc"]
    one = s["one_at_a_time_sample"]
    grid = ""
    if "grid" in res:
        grid = (f"\nWhole `{cfg.name}` grid: {res['grid']['wall_seconds']:.0f} s wall, "
                f"{res['grid']['cpu_seconds']:.0f} s CPU.\n")
    md = f"""# Emergence: batched SAEs against loops

Preset `{cfg.name}`, size {size.name}: {s['instances']} SAEs ({J} SAE seeds x {T} checkpoints x {L} layers),
{s['examples']} tokens each, d_in {s['d_in']}, d_sae {s['d_sae']}, {s['steps']} Adam steps; 1 torch thread.
Command: `python benchmarks/bench_emergence.py{''.join(' ' + x for x in argv)}`.

| how | wall s | CPU s | CPU ratio to batched |
|---|---:|---:|---:|
| batched (the grid's way) | {s['batched']['wall']:.1f} | {s['batched']['cpu']:.1f} | 1 |
| loop over SAE seeds | {s['loop_over_sae_seeds']['wall']:.1f} | {s['loop_over_sae_seeds']['cpu']:.1f} | {s['ratio_seed_loop_over_batched_cpu']:.2f} |
| one at a time ({one['instances']} trained, scaled to {s['instances']}) | {one['scaled_wall']:.1f} | {one['scaled_cpu']:.1f} | {s['ratio_one_at_a_time_over_batched_cpu']:.2f} |

Median FVU: batched {s['median_fvu_batched']:.3f}, one at a time {s['median_fvu_one_at_a_time']:.3f} (different
minibatches, so the SAEs differ).
{grid}
Vectorised AUROC ({a['examples']} tokens x {a['latents']} latents x {a['categories']} categories):
{a['vectorised']['cpu']:.4f} s CPU against {a['sklearn_loop']['cpu']:.3f} s for `roc_auc_score` per latent and
category (**{a['ratio_cpu']:.0f}x**); largest difference {a['max_abs_difference']:.2g}.

Load average before/after: {res['load_average_before_after']} on {os.cpu_count()} CPUs (other jobs share them:
compare CPU seconds); torch {torch.__version__}, Python {platform.python_version()}.
"""
    (out / "emergence.md").write_text(md)
    print(md)
    return res


if __name__ == "__main__":
    main()
