"""Boolean FPE experiments: dense vs FPE (random, clause-aligned) on random DNF tasks, and the sweeps.

Protocol (digest section 4, steps ours where unknown): draw a DNF (one output) per seed; train a dense
one-hidden-layer ReLU MLP for ``warmup_steps`` full-batch Adam steps (BCE on a sigmoid output); expand it with
:func:`capacity.fpe.fpe_expand`; fine-tune for ``total_steps - warmup_steps`` steps with the masks fixed. The
dense baseline goes through the same two phases without the expansion (Adam restarted at the split), so the only
difference is FPE. Baselines at the same non-zero budget: ``overlap`` (overlapping child masks) and
``dropconnect`` (the dense model fine-tuned with DropConnect, drop probability :data:`DROPCONNECT_P`).

Task defaults are fixed up front and are **ours** (the paper's are unknown): ``inputs=16`` Boolean inputs
(0/1), clauses of ``k=3`` distinct variables, each literal negated with probability 0.5 (``capacity.tasks.dnf_task``),
4096 training points sampled uniformly with replacement, accuracy measured exactly on all ``2^16`` inputs.
All instances of one phase train as one batched torch model (:mod:`capacity.fpe.trainer`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import CapacityError
from .expand import fpe_expand
from .metrics import clause_collision_rate, clause_coverage, feature_capacity, mean_pairwise_cosine
from .trainer import init_weights, train_masked

__all__ = ["DROPCONNECT_P", "VARIANTS", "BooleanConfig", "Point", "boolean_points", "dnf_clauses", "run_boolean"]

VARIANTS = ("dense", "random", "clause", "overlap", "dropconnect")
#: DropConnect drop probability of the equal-budget baseline (ours)
DROPCONNECT_P = 0.5


@dataclass(frozen=True)
class BooleanConfig:
    """Task and training settings shared by every point (all defaults ours).

    Args:
        inputs: Boolean inputs ``m`` of the DNF.
        clause_width: literals per clause ``k``.
        negations: probability that a literal is negated.
        n_samples: training points per task (uniform with replacement).
        total_steps: Adam steps of every run; FPE happens after ``warmup_steps`` of them.
        warmup_steps: default split time.
        lr: Adam learning rate.
        seeds: number of seeds (task + initialisation) per point.
        seed: base seed mixed into every task and initialisation.
    """

    inputs: int = 16
    clause_width: int = 3
    negations: float = 0.5
    n_samples: int = 4096
    total_steps: int = 2000
    warmup_steps: int = 1000
    lr: float = 1e-2
    seeds: int = 5
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Point:
    """One setting of a sweep: ``sweep`` names the sweep and ``value`` its x-value."""

    sweep: str
    value: float
    n_clauses: int = 8
    d_hidden: int = 8
    alpha: int = 2
    warmup_steps: int | None = None
    variants: tuple = ("dense", "random", "clause")


def boolean_points(config: BooleanConfig, alphas=(2, 3, 4), clauses=(2, 4, 8, 12, 16), neurons=(4, 8, 12, 16),
                   split_fractions=(0.0, 0.25, 0.5, 0.75)) -> list[Point]:
    """The main point (8 clauses, 8 neurons, alpha 2, all variants) and the four sweeps around it."""
    pts = [Point("main", 2, variants=VARIANTS)]
    pts += [Point("alpha", a, alpha=a) for a in alphas]
    pts += [Point("clauses", c, n_clauses=c) for c in clauses]
    pts += [Point("neurons", n, d_hidden=n) for n in neurons]
    pts += [Point("split_time", f, warmup_steps=round(f * config.total_steps)) for f in split_fractions]
    return pts


def dnf_clauses(task) -> list[tuple[int, ...]]:
    """The clauses (variable indices) of a one-feature DNF task."""
    from .expand import parse_clauses

    return parse_clauses(task.features.names[0], task.n_inputs)


def _task(config: BooleanConfig, n_clauses: int, seed: int):
    from ..tasks import dnf_task

    return dnf_task(config.inputs, 1, n_clauses, config.clause_width, config.negations,
                    seed=10_000 * config.seed + 100 * n_clauses + seed)


def run_boolean(points, config: BooleanConfig = BooleanConfig(), progress: bool = True):
    """Run every point for ``config.seeds`` seeds; returns a long ``pandas.DataFrame`` (one row per point,
    variant and seed) with accuracies, non-zero counts and metrics."""
    import pandas as pd

    seeds = range(config.seeds)
    tasks, data, evals = {}, {}, {}
    domain_X = None
    for p in points:
        for s in seeds:
            key = (p.n_clauses, s)
            if key in tasks:
                continue
            t = _task(config, p.n_clauses, s)
            tasks[key] = t
            data[key] = t.data(config.n_samples, seed=np.random.SeedSequence([config.seed, s, 1]))
            if domain_X is None:
                domain_X = t.domain.points.astype(np.float32)
            evals[key] = _all_points(t)

    # phase 1: dense warm-up, one batch per warm-up length
    warm = {}
    by_len: dict = {}
    for p in points:
        w = config.warmup_steps if p.warmup_steps is None else p.warmup_steps
        for s in seeds:
            by_len.setdefault(w, set()).add((p.n_clauses, p.d_hidden, s))
    for w, keys in sorted(by_len.items()):
        keys = sorted(keys)
        inits = [init_weights((config.inputs, n, 1), np.random.default_rng([config.seed, c, n, s])) for c, n, s in keys]
        if w == 0:
            for k, i in zip(keys, inits):
                warm[(w, *k)] = i
            continue
        X = np.stack([data[(c, s)][0] for c, _, s in keys]).astype(np.float32)
        Y = np.stack([data[(c, s)][1] for c, _, s in keys]).astype(np.float32)
        ws, _, _, _ = train_masked(inits, None, X, Y, steps=w, lr=config.lr, seed=config.seed, progress=progress,
                                   desc=f"fpe warm-up ({len(keys)} nets, {w} steps)")
        for k, wt in zip(keys, ws):
            warm[(w, *k)] = wt

    # phase 2: expansion and fine-tuning, one batch per (warm-up length, width after expansion)
    from ..network import Network

    jobs = {}
    for p in points:
        w = config.warmup_steps if p.warmup_steps is None else p.warmup_steps
        for v in p.variants:
            for s in seeds:
                a = p.alpha if v in ("random", "clause", "overlap") else None
                jobs[(w, p.n_clauses, p.d_hidden, a, v, s)] = None
    groups: dict = {}
    for key in jobs:
        w, c, n, a, v, s = key
        groups.setdefault((w, n * (a or 1)), []).append(key)
    results = {}
    for (w, width), keys in sorted(groups.items()):
        inits, masks, dc, meta = [], [], [], []
        for key in keys:
            _, c, n, a, v, s = key
            W0, b0, W1, b1 = warm[(w, c, n, s)]
            clauses = dnf_clauses(tasks[(c, s)])
            if v in ("dense", "dropconnect"):
                inits.append([W0, b0, W1, b1])
                masks.append(None)
                meta.append((None, clauses))
            else:
                net = Network(W0, b0, W1, b1)
                e = fpe_expand(net, a, split="clause" if v == "clause" else "random", clauses=clauses,
                               seed=int(np.random.default_rng([config.seed, s, a]).integers(2**31)),
                               overlap=v == "overlap")
                inits.append([np.array(x) for x in (e.network.W_in, e.network.b_in, e.network.W_out,
                                                    e.network.b_out)])
                masks.append(list(e.masks))
                meta.append((e, clauses))
            dc.append(DROPCONNECT_P if v == "dropconnect" else 0.0)
        X = np.stack([data[(k[1], k[5])][0] for k in keys]).astype(np.float32)
        Y = np.stack([data[(k[1], k[5])][1] for k in keys]).astype(np.float32)
        Xe = domain_X
        Ye = np.stack([evals[(k[1], k[5])] for k in keys]).astype(np.float32)
        steps = config.total_steps - w
        if steps < 1:
            raise CapacityError("warm-up must leave at least one fine-tuning step")
        ws, ms, _, acc = train_masked(inits, masks, X, Y, steps=steps, lr=config.lr, dropconnect=dc,
                                      eval_sets={"train": (X, Y), "test": (Xe, Ye)}, seed=config.seed,
                                      progress=progress, desc=f"fpe fine-tune ({len(keys)} nets, width {width})")
        for i, key in enumerate(keys):
            e, clauses = meta[i]
            W_in = ws[i][0]
            part = e.partitions[0] if e is not None else None
            results[key] = {
                "accuracy": float(acc["test"][i]), "train_accuracy": float(acc["train"][i]),
                "nonzero": int(sum(np.count_nonzero(ws[i][2 * k]) for k in range(2))),
                "budget": int(sum(m.sum() for m in ms[i])),
                "width": int(W_in.shape[0]),
                "capacity_sum": float(feature_capacity(W_in).sum()),
                "mean_cosine": mean_pairwise_cosine(W_in),
                "collision_rate": np.nan if part is None else clause_collision_rate(part, clauses, key[3]),
                "coverage": np.nan if part is None else clause_coverage(part, clauses, key[3]),
                "majority": float(max(Ye[i].mean(), 1 - Ye[i].mean())),
            }
    rows = []
    for p in points:
        w = config.warmup_steps if p.warmup_steps is None else p.warmup_steps
        for v in p.variants:
            for s in seeds:
                a = p.alpha if v in ("random", "clause", "overlap") else None
                r = results[(w, p.n_clauses, p.d_hidden, a, v, s)]
                rows.append({"sweep": p.sweep, "value": p.value, "n_clauses": p.n_clauses, "d_hidden": p.d_hidden,
                             "alpha": p.alpha, "warmup_steps": w, "variant": v, "seed": s, **r})
    df = pd.DataFrame(rows)
    dense = df[df.variant == "dense"].set_index(["sweep", "value", "seed"])
    idx = list(zip(df.sweep, df.value, df.seed))
    for col in ("accuracy", "capacity_sum", "mean_cosine"):
        base = dense[col].reindex(idx).to_numpy()
        df[f"dense_{col}"] = base
    df["relative_gain"] = df.accuracy / df.dense_accuracy - 1
    df["capacity_fold"] = df.capacity_sum / df.dense_capacity_sum
    df["cosine_fold"] = df.mean_cosine / df.dense_mean_cosine
    return df


def _all_points(task) -> np.ndarray:
    """Targets ``(2^m, 1)`` of a one-feature task on every point of its domain, in domain order."""
    idx = np.arange(task.domain.size, dtype=np.int64)
    words = task.features.tables[:, idx // 64]
    return ((words >> (idx % 64).astype(np.uint64)) & np.uint64(1)).astype(np.uint8).T

