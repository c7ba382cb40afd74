"""Time per stage of the emergence pipeline, plus two baselines measured in the same run.

1. The preset's whole grid (``capacity.emergence.run_emergence``): seconds for LM training, activation
   collection, SAE training and scoring (toy sizes and MiniLM), and the wall time.
2. Batched SAE training (``train_saes``: every (checkpoint, layer) SAE of one size as one batched model)
   against one SAE at a time (``train_saes_loop``), on the largest toy size's real activations. Both use the
   same config; the loop draws its own minibatches, so the weights differ, and the table reports both FVUs.
3. Vectorised AUROC (rank formula, ``capacity.emergence.auroc``) against ``sklearn.metrics.roc_auc_score``
   called once per latent and category (``auroc_loop``), on one SAE's latents; the largest difference is shown.

Usage:
    python benchmarks/bench_emergence.py                   # quick preset, 1 torch thread
    python benchmarks/bench_emergence.py --preset smoke --out /tmp/bench

Writes ``<out>/emergence.json`` and ``<out>/emergence.md`` (default ``benchmarks/out/``, untracked; the tracked
figures in ``benchmarks/results/`` change only with ``--out benchmarks/results``). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description="emergence pipeline stage timings and baselines")
    p.add_argument("--preset", default="quick", choices=("smoke", "quick", "full"), help="capacity emergence preset")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--out", default=str(Path(__file__).parent / "out"), help="output folder (default benchmarks/out/, not tracked; --out benchmarks/results rewrites the tracked figures)")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = p.parse_args(argv)

    import torch
    import transformers

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

    def say(msg):
        if not args.no_progress:
            print(msg, file=sys.stderr, flush=True)

    cfg = PRESETS[args.preset]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        say(f"stage 1/3: the {args.preset} grid (run_emergence) ...")
        result = run_emergence(cfg, work, progress=not args.no_progress, threads=args.threads)
        wall = time.perf_counter() - t0

        # baseline 1: batched SAEs vs a loop, per size, on its real activations (all checkpoints x layers)
        corpus = Corpus(cfg.corpus)
        tokens, _ = corpus.sample(cfg.n_sae_train, np.random.default_rng([cfg.seed, 7]))
        ev_tokens, ev_labels = corpus.sample(cfg.n_eval, np.random.default_rng([cfg.seed, 8]), balanced=True)
        acts = {}
        for size in cfg.sizes:
            series = load_checkpoint_series(Path(work) / "checkpoints" / size.name)
            A = np.stack([resid_activations(series.load(s), tokens) for s in series.steps])
            acts[size.name] = A.reshape(-1, *A.shape[2:])
        A_ev = resid_activations(series.load(series.steps[-1]), ev_tokens)[-1:]  # largest size, last layer
    sae_rows = []
    for name, X in acts.items():
        say(f"stage 2/3: size {name}, batched SAEs vs one at a time ...")
        t0 = time.perf_counter()
        batched = train_saes(X, cfg.sae, progress=False)
        t_batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        looped = train_saes_loop(X, cfg.sae, progress=False)
        t_loop = time.perf_counter() - t0
        sae_rows.append({"size": name, "instances": int(X.shape[0]), "examples": int(X.shape[1]),
                         "d_in": int(X.shape[2]), "d_sae": batched.d_sae, "steps": cfg.sae.steps,
                         "seconds_batched": round(t_batched, 3), "seconds_loop": round(t_loop, 3),
                         "speedup": round(t_loop / t_batched, 2),
                         "median_fvu_batched": float(np.median(batched.metrics(X)["fvu"])),
                         "median_fvu_loop": float(np.median(looped.metrics(X)["fvu"]))})

    # baseline 2: vectorised AUROC vs sklearn per latent and category, on the last SAE's latents
    say("stage 3/3: vectorised AUROC vs sklearn per latent ...")
    F = batched.select(len(X) - 1).encode(A_ev)[0]  # the largest size's last SAE (final checkpoint, last layer)
    K = len(corpus.names)
    auroc_loop(F[:10, :2], ev_labels[:10], K)  # warm-up: sklearn's import is not counted
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        a_vec = auroc(F, ev_labels, K)
    t_vec = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    a_loop = auroc_loop(F, ev_labels, K)
    t_auc_loop = time.perf_counter() - t0
    load_after = os.getloadavg()

    res = {
        "benchmark": "emergence",
        "preset": cfg.name,
        "config": cfg.to_dict(),
        "torch_threads": args.threads,
        "wall_seconds": round(wall, 2),
        "stage_seconds": result.timings,
        "sae_batched_vs_loop": sae_rows,
        "auroc_vectorised_vs_sklearn_loop": {"examples": int(F.shape[0]), "latents": int(F.shape[1]),
                                             "categories": K, "seconds_vectorised": t_vec,
                                             "seconds_sklearn_loop": round(t_auc_loop, 4),
                                             "speedup": round(t_auc_loop / t_vec, 1),
                                             "max_abs_difference": float(np.abs(a_vec - a_loop).max())},
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "versions": {"capacity": capacity.__version__, "torch": torch.__version__,
                     "transformers": transformers.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "emergence.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    a = res["auroc_vectorised_vs_sklearn_loop"]
    sae_table = "".join(f"| {r['size']} | {r['instances']} | {r['d_in']} | {r['d_sae']} | {r['seconds_batched']:.2f} | "
                        f"{r['seconds_loop']:.2f} | **{r['speedup']:.1f}x** | {r['median_fvu_batched']:.3f} / "
                        f"{r['median_fvu_loop']:.3f} |\n" for r in sae_rows)
    stages = "".join(f"| {k} | {v:.1f} |\n" for k, v in result.timings.items())
    md = f"""# Emergence pipeline: time per stage and two baselines

Preset `{cfg.name}` ({len(cfg.sizes)} toy sizes, {cfg.lm.steps} LM steps, checkpoints {list(cfg.lm.checkpoints)},
MiniLM {cfg.minilm_per_category} sentences per category), {args.threads} torch thread(s).
Command: `python benchmarks/bench_emergence.py{''.join(' ' + x for x in argv)}`.

| stage | seconds |
|---|---:|
{stages}| **wall (whole grid)** | **{wall:.1f}** |

## Batched SAEs vs one at a time

Per toy size: all its SAEs (every checkpoint x layer), {cfg.n_sae_train} examples each, {cfg.sae.steps} Adam steps,
trained as one batched model (`train_saes`) and one at a time (`train_saes_loop`), same run.

| size | SAEs | d_in | d_sae | batched s | loop s | speed-up | median FVU batched / loop |
|---|---:|---:|---:|---:|---:|---:|---|
{sae_table}
The loop draws its own minibatches, so its SAEs differ from the batched ones; the FVU column shows both train
equally well.

## Vectorised AUROC vs sklearn per latent

{a['examples']} examples x {a['latents']} latents x {a['categories']} categories.

| method | seconds |
|---|---:|
| `auroc` (ranks, one matrix product) | {t_vec:.4f} |
| `auroc_loop` (`roc_auc_score` per latent and category) | {t_auc_loop:.3f} |

**Speed-up: {a['speedup']:.0f}x**; largest difference {a['max_abs_difference']:.2g}.

Load average before/after: {res['load_average_before_after']} on {os.cpu_count()} CPUs (another job may share
them); torch {torch.__version__}, transformers {transformers.__version__}, Python {platform.python_version()}.
"""
    (out / "emergence.md").write_text(md)
    print(md)
    return res


if __name__ == "__main__":
    main()
