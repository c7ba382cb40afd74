"""The pre-registered FPE study (docs/science-fpe.md): every variant at an equal non-zero budget, paired seeds.

One *point* is a data set, a dense width ``n`` and an expansion factor ``alpha``. Every run has two phases of
minibatch Adam training, ``warmup`` steps then ``steps - warmup`` steps with Adam restarted; between them a
variant may expand or prune. All runs of one phase, learning rate and width train as one batched
model (:func:`capacity.train.fit`). Variants (budget ``B`` = the dense width-``n`` network's weight count):

* ``dense``: width ``n`` (budget ``B``);
* ``fpe-{random,clause,gram}-{init,warm}``: :func:`capacity.fpe.fpe_expand` of the dense network at step 0
  (``init``) or after the warm-up (``warm``), then trained with the masks fixed (``B`` non-zeros, width ``alpha n``);
* ``sparse``: width ``alpha n`` from scratch with a fixed random mask of exactly ``n d`` input and ``n C`` readout
  weights (``B``);
* ``pruned``: dense width ``alpha n`` for the warm-up, then magnitude-pruned to ``B`` over both layers
  (:func:`capacity.fpe.prune_to_budget`) and trained with that mask;
* ``dropconnect``: width ``alpha n``, every weight dropped with probability ``1 - 1/alpha`` at every training step
  (``B`` weights in use on average; all ``alpha B`` at test time);
* ``wide``: dense width ``alpha n`` (``alpha B``), the upper reference with more parameters;
* controls: ``untrained`` (the dense network at initialisation), ``shuffled`` (dense trained on permuted training
  labels), ``linear`` (a linear probe, no hidden layer).

Learning rates are chosen per (data set, point, variant) on a validation split from ``lr_grid`` with separate
*tuning seeds*, then the reported *seeds* run at the chosen rate and are scored on a held-out test set.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from itertools import combinations

import numpy as np

from ..errors import CapacityError
from ..network import Network
from ..train import Convergence, TrainConfig, fit, init_weights
from .expand import count_nonzero, fpe_expand, prune_to_budget
from .metrics import feature_capacity, mean_pairwise_cosine

__all__ = ["BASELINE_VARIANTS", "CONTROLS", "FPE_VARIANTS", "Data", "StudyConfig", "balanced_accuracy",
           "balanced_clause_count", "boolean_data", "brute_force_rate", "clause_collision", "clause_coverage_of",
           "disjoint_rate", "positive_rate", "real_data", "run_study", "sparse_masks", "study_datasets"]

FPE_VARIANTS = tuple(f"fpe-{s}-{t}" for s in ("random", "clause", "gram") for t in ("init", "warm"))
BASELINE_VARIANTS = ("sparse", "pruned", "dropconnect", "wide")
CONTROLS = ("untrained", "shuffled", "linear")


# ---------------------------------------------------------------------------------------------
# Boolean tasks: variable-disjoint clauses with an exact positive rate


def positive_rate(clauses) -> Fraction:
    """Exact P(OR of AND-clauses = 1) for uniform inputs, by inclusion-exclusion over sets of clauses.

    ``clauses``: lists of ``(variable, negated)`` literals (any overlap allowed). A set of clauses holds together
    with probability ``2^-|variables|``, or 0 when two literals disagree."""
    total = Fraction(0)
    cl = [dict((int(v), bool(neg)) for v, neg in c) for c in clauses]
    for r in range(1, len(cl) + 1):
        for group in combinations(cl, r):
            lits: dict = {}
            ok = True
            for c in group:
                for v, neg in c.items():
                    if lits.setdefault(v, neg) != neg:
                        ok = False
            if ok:
                total += (-1) ** (r + 1) * Fraction(1, 2 ** len(lits))
    return total


def disjoint_rate(k: int, n_clauses: int) -> Fraction:
    """The same for ``n_clauses`` variable-disjoint clauses of ``k`` literals: ``1 - (1 - 2^-k)^n_clauses``."""
    return 1 - (1 - Fraction(1, 2**k)) ** n_clauses


def brute_force_rate(clauses, d: int) -> Fraction:
    """The positive rate by evaluating the DNF on all ``2^d`` inputs (for tests)."""
    X = ((np.arange(2**d)[:, None] >> np.arange(d)) & 1).astype(bool)
    return Fraction(int(_dnf(X, clauses).sum()), 2**d)


def balanced_clause_count(k: int, max_clauses: int = 64) -> int:
    """The clause count whose disjoint DNF's exact positive rate is closest to 1/2 (fewer clauses on ties)."""
    return min(range(1, max_clauses + 1), key=lambda c: (abs(disjoint_rate(k, c) - Fraction(1, 2)), c))


def _dnf(X, clauses) -> np.ndarray:
    out = np.zeros(X.shape[0], dtype=bool)
    for c in clauses:
        hit = np.ones(X.shape[0], dtype=bool)
        for v, neg in c:
            hit &= X[:, v] != neg
        out |= hit
    return out


@dataclass(frozen=True, eq=False)
class Data:
    """One data set for one seed: train / validation / test arrays, the kind and (Boolean) its clauses.

    ``kind``: ``binary`` (``Y`` 0/1 of shape ``(N, F)``, BCE) or ``multiclass`` (labels ``(N,)``, CE).
    ``clauses``: the variable sets of the task's clauses (``None`` for real data); ``positive_rate``: exact, per
    output (Boolean)."""

    name: str
    kind: str
    X_train: np.ndarray
    Y_train: np.ndarray
    X_val: np.ndarray
    Y_val: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    clauses: tuple | None = None
    positive_rate: tuple = ()

    @property
    def d_in(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_out(self) -> int:
        return self.Y_train.shape[1] if self.kind == "binary" else int(self.Y_train.max()) + 1


def boolean_data(task: str, k: int, seed: int, n_train: int, n_val: int, n_test: int, n_outputs: int = 6,
                 pool: int = 10) -> Data:
    """``single``: one output, the OR of ``balanced_clause_count(k)`` variable-disjoint ``k``-clauses. ``multi``:
    a pool of ``pool`` disjoint ``k``-clauses and ``n_outputs`` outputs, each the OR of a different random set of
    ``balanced_clause_count(k)`` pool clauses, so outputs share clauses and must share neurons. Literal signs
    and (multi) the sets are drawn with ``seed``; inputs are uniform; validation and test points are drawn
    uniformly among the inputs that are not training points (held out exactly)."""
    c = balanced_clause_count(k)
    rng = np.random.default_rng([7, seed, k, 0 if task == "single" else 1])
    n_cl = c if task == "single" else pool
    if task == "multi" and pool < c:
        raise CapacityError(f"the multi-output pool ({pool}) needs at least {c} clauses")
    d = k * n_cl
    clauses = [[(k * j + i, bool(rng.random() < 0.5)) for i in range(k)] for j in range(n_cl)]
    if task == "single":
        outputs = [list(range(n_cl))]
    else:
        outputs, seen = [], set()
        while len(outputs) < n_outputs:
            s = tuple(sorted(rng.choice(pool, size=c, replace=False).tolist()))
            if s not in seen:
                seen.add(s)
                outputs.append(list(s))
    X_train = rng.integers(0, 2, size=(n_train, d)).astype(np.uint8)
    seen = {r.tobytes() for r in np.packbits(X_train, axis=1)}
    if d < 62 and 2**d - len(seen) < (n_val + n_test) // 4 + 1:
        raise CapacityError(f"{len(seen)} training points leave too few of the {2**d} inputs for held-out points")
    held: list = []
    while len(held) < n_val + n_test:  # uniform points that are not training points (held out exactly)
        cand = rng.integers(0, 2, size=(n_val + n_test, d)).astype(np.uint8)
        held += [x for x, key in zip(cand, np.packbits(cand, axis=1)) if key.tobytes() not in seen]
    X = np.concatenate([X_train, np.array(held[:n_val + n_test], dtype=np.uint8)])
    Y = np.stack([_dnf(X.astype(bool), [clauses[j] for j in o]) for o in outputs], axis=1).astype(np.uint8)
    tr, va, te = slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, None)
    rates = tuple(float(disjoint_rate(k, len(o))) for o in outputs)
    return Data(f"boolean-{task}", "binary", X[tr], Y[tr], X[va], Y[va], X[te], Y[te],
                tuple(tuple(v for v, _ in cl) for cl in clauses), rates)


def real_data(name: str, seed: int = 0, text_per_topic: int = 150) -> Data:
    """``mnist1d`` (built procedurally by the ``mnist1d`` package, offline: its 4000 training series split 80/20
    into train/validation, its 1000 test series as test), ``digits`` (scikit-learn, stratified 60/20/20) or
    ``text`` (templated sentences embedded with the packaged MiniLM, stratified 60/20/20). Inputs standardised
    with the training split's mean and standard deviation."""
    from sklearn.model_selection import train_test_split

    if name == "mnist1d":
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.seed = 42 + seed
        d = make_dataset(args)
        Xtr, Xva, ytr, yva = train_test_split(d["x"], d["y"], test_size=0.2, random_state=seed, stratify=d["y"])
        Xte, yte = d["x_test"], d["y_test"]
    elif name in ("digits", "text"):
        if name == "digits":
            from .real import digits_dataset

            X, y = digits_dataset()
        else:
            from .real import text_dataset

            X, y = text_dataset(text_per_topic, seed)
        Xtr, Xrest, ytr, yrest = train_test_split(X, y, test_size=0.4, random_state=seed, stratify=y)
        Xva, Xte, yva, yte = train_test_split(Xrest, yrest, test_size=0.5, random_state=seed, stratify=yrest)
    else:
        raise CapacityError(f"unknown data set {name!r}; choose mnist1d, digits or text")
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0) + 1e-6
    f = lambda a: ((a - mu) / sd).astype(np.float32)  # noqa: E731
    return Data(name, "multiclass", f(Xtr), np.asarray(ytr, np.int64), f(Xva), np.asarray(yva, np.int64), f(Xte),
                np.asarray(yte, np.int64))


def balanced_accuracy(logits: np.ndarray, Y: np.ndarray, kind: str) -> np.ndarray:
    """Per instance (leading axis of ``logits``): binary, the mean over outputs of (TPR + TNR)/2 with an output
    read as 1 where its logit is ``>= 0``; multiclass, the mean recall over classes of the argmax."""
    if kind == "binary":
        pred = logits >= 0
        y = np.asarray(Y, bool)[None]
        pos, neg = y.sum(axis=1), (~y).sum(axis=1)
        tpr = (pred & y).sum(axis=1) / np.maximum(pos, 1)
        tnr = (~pred & ~y).sum(axis=1) / np.maximum(neg, 1)
        return ((tpr + tnr) / 2).mean(axis=1)
    pred = logits.argmax(axis=2)
    classes = np.unique(Y)
    return np.mean([(pred[:, Y == c] == c).mean(axis=1) for c in classes], axis=0)


# ---------------------------------------------------------------------------------------------
# clause metrics on a weight support


def clause_coverage_of(support: np.ndarray, clauses) -> float:
    """Share of clauses whose variables all lie in the input support of at least one hidden unit."""
    S = np.asarray(support, bool)
    return float(np.mean([S[:, list(c)].all(axis=1).any() for c in clauses]))


def clause_collision(support: np.ndarray, clauses) -> float:
    """Share of clause pairs whose variables all lie in the input support of one hidden unit (1 for a dense
    layer: every unit can mix every pair of clauses)."""
    S = np.asarray(support, bool)
    pairs = list(combinations(range(len(clauses)), 2))
    if not pairs:
        return 0.0
    return float(np.mean([S[:, list(set(clauses[a]) | set(clauses[b]))].all(axis=1).any() for a, b in pairs]))


# ---------------------------------------------------------------------------------------------
# the study


@dataclass(frozen=True)
class StudyConfig:
    """The pre-registered grid (docs/science-fpe.md). All values are ours.

    Args:
        boolean: Boolean tasks (``single``, ``multi``); clause width ``k`` (single), ``k_multi`` (multi).
        real: real data sets (``mnist1d``, ``digits``, ``text``).
        n_values / real_n_values: dense widths ``n`` (Boolean / mnist1d); real_n_values_small: for digits and
            text; alphas: expansion factors.
        seeds: reported paired seeds; tune_seeds: separate seeds for choosing the learning rate.
        lr_grid: Adam learning rates tried per variant.
        steps, warmup, batch_size: training schedule (``warmup`` steps, then ``steps - warmup``; with a
            convergence window, ``steps`` is the cap of the second phase's end).
        window, rel_tol, log_every: the convergence rule of the second phase (:class:`capacity.train.Convergence`,
            checked every ``log_every`` steps); ``window = 0`` trains every run exactly ``steps`` steps (the
            registered first run).
        n_train, n_val, n_test: Boolean sample sizes.
        bootstrap: resamples of the paired bootstrap.
        seed: base seed.
    """

    boolean: tuple = ("single", "multi")
    k: int = 4
    k_multi: int = 3
    real: tuple = ("mnist1d",)
    n_values: tuple = (2, 4, 8, 16)
    real_n_values: tuple = (4, 8)
    real_n_values_small: tuple = (4,)
    alphas: tuple = (2, 4)
    seeds: int = 10
    tune_seeds: int = 2
    lr_grid: tuple = (3e-3, 1e-2, 3e-2)
    steps: int = 1000
    warmup: int = 250
    batch_size: int = 128
    window: int = 0
    rel_tol: float = 0.01
    log_every: int = 200
    n_train: int = 4096
    n_val: int = 2048
    n_test: int = 4096
    bootstrap: int = 10000
    seed: int = 0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def variants(self, data: Data) -> tuple:
        fpe = [v for v in FPE_VARIANTS if data.clauses is not None or "clause" not in v]
        return ("dense", *fpe, *BASELINE_VARIANTS)


def sparse_masks(n: int, alpha: int, d: int, C: int, rng) -> list[np.ndarray]:
    """The fixed mask of the ``sparse`` variant: per layer, exactly the dense width-``n`` count of weights chosen
    uniformly among the width-``alpha n`` layer's entries."""
    out = []
    for shape, keep in (((alpha * n, d), n * d), ((C, alpha * n), C * n)):
        m = np.zeros(shape[0] * shape[1], bool)
        m[rng.choice(m.size, size=keep, replace=False)] = True
        out.append(m.reshape(shape))
    return out


@dataclass
class _Run:
    """One training run: its key, data seed, learning rate and per-phase starting point."""

    data: str
    seed: int
    n: int
    alpha: int | None
    variant: str
    lr: float
    weights: list = field(default_factory=list)
    mask: list | None = None
    drop: float = 0.0
    shuffled: bool = False
    result: dict = field(default_factory=dict)


def _split_name(v):
    return v.split("-")[1]


def _expand(weights, alpha, split, clauses, seed):
    e = fpe_expand(Network(*weights), alpha, split=split, clauses=clauses, seed=seed)
    return [np.array(a) for layer in e.network.layers for a in layer], [np.asarray(m) for m in e.masks]


def _phase(runs, datas, cfg: StudyConfig, steps: int, progress: bool, desc: str, final: bool):
    """Train every run for ``steps`` steps, batched by (data set, learning rate, depth, width)."""
    groups: dict = {}
    for r in runs:
        key = (r.data, r.lr, len(r.weights), r.weights[0].shape[0])
        groups.setdefault(key, []).append(r)
    chunk = 128
    for (name, lr, _, width), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3])):
        for a in range(0, len(rs), chunk):
            part = rs[a:a + chunk]
            d0 = datas[(name, part[0].seed)]
            kind = d0.kind
            tc = TrainConfig(loss="bce" if kind == "binary" else "ce", lr=lr, steps=steps,
                             batch_size=cfg.batch_size, seed=cfg.seed, log_every=min(cfg.log_every, steps))
            rule = Convergence(cfg.window, cfg.rel_tol) if final and cfg.window else None
            report: dict = {}
            X = np.stack([datas[(name, r.seed)].X_train for r in part]).astype(np.float32)
            Y = np.stack([_labels(datas[(name, r.seed)], r, cfg) for r in part])
            evals = {}
            if final:
                evals = {"val": np.stack([datas[(name, r.seed)].X_val for r in part]).astype(np.float32),
                         "test": np.stack([datas[(name, r.seed)].X_test for r in part]).astype(np.float32),
                         "train": X}
            seeds = [np.random.SeedSequence([cfg.seed, r.seed, 11, *map(ord, r.variant)]) for r in part]
            ws, hist, out = fit([r.weights for r in part], X, Y, tc, masks=[r.mask for r in part],
                                dropconnect=[r.drop for r in part], batch_seeds=seeds, evals=evals,
                                progress=progress, desc=f"{desc} {name} lr {lr:g} width {width} ({len(part)} nets)",
                                converge=rule, report=report)
            offset = 0 if final is False else cfg.warmup
            for i, r in enumerate(part):
                r.weights = ws[i]
                r.result.setdefault("loss", []).extend(zip((offset + tc.logged_steps).tolist(), hist[i].tolist()))
                if final:
                    r.result["steps"] = offset + int(report["steps"][i])
                    r.result["converged"] = bool(report["converged"][i])
                    dd = datas[(name, r.seed)]
                    for split, Yt in (("val", dd.Y_val), ("test", dd.Y_test), ("train", dd.Y_train)):
                        r.result[split] = float(balanced_accuracy(out[split][i:i + 1], Yt, kind)[0])


def _labels(d: Data, r: _Run, cfg: StudyConfig):
    if not r.shuffled:
        return d.Y_train if d.kind == "multiclass" else d.Y_train.astype(np.float32)
    perm = np.random.default_rng([cfg.seed, r.seed, 99]).permutation(len(d.Y_train))
    return d.Y_train[perm] if d.kind == "multiclass" else d.Y_train[perm].astype(np.float32)


def _plan(data: Data, seed: int, cfg: StudyConfig, n_values, lrs):
    """Every run of one data set and seed: ``lrs[(n, alpha, variant)]`` -> list of learning rates."""
    d, C = data.d_in, data.n_out
    runs = []
    for n in n_values:
        base = init_weights((d, n, C), np.random.default_rng([cfg.seed, seed, n, 0]))
        for alpha in (None, *cfg.alphas):
            names = ("dense", "shuffled", "untrained") if alpha is None else cfg.variants(data)[1:]
            for v in names:
                for lr in lrs.get((n, alpha, v), ()):
                    r = _Run(data.name, seed, n, alpha, v, lr)
                    if v in ("wide", "pruned", "dropconnect", "sparse"):
                        r.weights = init_weights((d, alpha * n, C), np.random.default_rng([cfg.seed, seed, n, alpha]))
                        if v == "sparse":
                            r.mask = sparse_masks(n, alpha, d, C, np.random.default_rng([cfg.seed, seed, n, alpha, 5]))
                            r.weights = [w * (r.mask[j // 2] if j % 2 == 0 else 1) for j, w in enumerate(r.weights)]
                        if v == "dropconnect":
                            r.drop = 1 - 1 / alpha
                    else:
                        r.weights = [w.copy() for w in base]
                        r.shuffled = v == "shuffled"
                        if v.endswith("-init"):
                            split_seed = int(np.random.default_rng([cfg.seed, seed, n, alpha, 3]).integers(2**31))
                            r.weights, r.mask = _expand(base, alpha, _split_name(v), data.clauses, split_seed)
                    runs.append(r)
    for lr in lrs.get((None, None, "linear"), ()):
        runs.append(_Run(data.name, seed, 0, None, "linear", lr,
                         init_weights((d, C), np.random.default_rng([cfg.seed, seed, 0, 0]))))
    return runs


def _between(runs, data: Data, cfg: StudyConfig, seed: int):
    """At the end of the warm-up: expand (``fpe-*-warm``) or prune (``pruned``)."""
    for r in runs:
        if r.variant.endswith("-warm"):
            r.weights, r.mask = _expand(r.weights, r.alpha, _split_name(r.variant), data.clauses,
                                        int(np.random.default_rng([cfg.seed, seed, r.n, r.alpha, 4]).integers(2**31)))
        elif r.variant == "pruned":
            budget = r.n * (data.d_in + data.n_out)
            ws, ms, _ = prune_to_budget(r.weights[0::2], [np.ones(w.shape, bool) for w in r.weights[0::2]], budget)
            r.weights = [ws[j // 2] if j % 2 == 0 else r.weights[j] for j in range(len(r.weights))]
            r.mask = ms


def _train(datas, name, seeds, cfg, n_values, lrs, progress, desc):
    """Both phases of every planned run for ``seeds``; returns the finished runs."""
    runs = []
    for s in seeds:
        runs += _plan(datas[(name, s)], s, cfg, n_values, lrs)
    # warm variants share the dense warm-up: train it once per (n, seed, lr) and copy it
    train1 = [r for r in runs if r.variant != "untrained" and not r.variant.endswith("-warm")]
    _phase(train1, datas, cfg, cfg.warmup, progress, f"{desc} warm-up", final=False)
    dense = {(r.n, r.seed, r.lr): r for r in runs if r.variant == "dense"}
    for r in runs:
        if r.variant.endswith("-warm"):
            src = dense.get((r.n, r.seed, r.lr))
            if src is None:  # the dense run at this rate was not planned: train the warm-up here
                continue
            r.weights = [w.copy() for w in src.weights]
            r.result["loss"] = list(src.result.get("loss", []))
    missing = [r for r in runs if r.variant.endswith("-warm") and "loss" not in r.result]
    if missing:
        _phase(missing, datas, cfg, cfg.warmup, progress, f"{desc} warm-up", final=False)
    for s in seeds:
        _between([r for r in runs if r.seed == s], datas[(name, s)], cfg, s)
    _phase([r for r in runs if r.variant != "untrained"], datas, cfg, cfg.steps - cfg.warmup, progress,
           f"{desc} train", final=True)
    untrained = [r for r in runs if r.variant == "untrained"]
    if untrained:
        _evaluate_untrained(untrained, datas)
    for r in runs:
        _metrics(r, datas[(name, r.seed)])
    return runs


def _evaluate_untrained(runs, datas):
    for r in runs:
        d = datas[(r.data, r.seed)]
        for split, (X, Y) in (("val", (d.X_val, d.Y_val)), ("test", (d.X_test, d.Y_test)),
                              ("train", (d.X_train, d.Y_train))):
            logits = _np_forward(r.weights, X)
            r.result[split] = float(balanced_accuracy(logits[None], Y, d.kind)[0])
        r.result["loss"] = []


def _np_forward(w, X):
    h = np.asarray(X, np.float64)
    for k in range(0, len(w) - 2, 2):
        h = np.maximum(h @ w[k].T + w[k + 1], 0)
    return h @ w[-2].T + w[-1]


def _metrics(r: _Run, d: Data):
    budget = r.n * (d.d_in + d.n_out) if r.variant != "linear" else d.d_in * d.n_out
    nz = count_nonzero(r.weights[0::2])
    free = sum(int(m.sum()) for m in r.mask) if r.mask is not None else sum(w.size for w in r.weights[0::2])
    if r.variant == "dropconnect":
        free = free * (1 - r.drop)  # weights in use per step, on average
    if r.variant in ("dense", *FPE_VARIANTS, "sparse", "pruned", "dropconnect"):
        assert free == budget and (nz <= budget or r.variant == "dropconnect"), \
            f"{r.variant}: {free} free weights, budget {budget}"
    r.result.update(budget=budget, nonzero=nz, free_weights=float(free), width=r.weights[0].shape[0])
    W_in = r.weights[0]
    if r.variant == "linear":
        return
    r.result["capacity"] = float(feature_capacity(W_in).sum())
    r.result["cos"] = mean_pairwise_cosine(W_in)
    if d.clauses is not None:
        support = r.mask[0] if r.mask is not None else np.ones(W_in.shape, bool)
        r.result["coverage"] = clause_coverage_of(support, d.clauses)
        r.result["collision"] = clause_collision(support, d.clauses)


def _all_lrs(cfg, data, n_values, lr_grid):
    lrs = {}
    for n in n_values:
        lrs[(n, None, "dense")] = lr_grid
        for a in cfg.alphas:
            for v in cfg.variants(data)[1:]:
                lrs[(n, a, v)] = lr_grid
    lrs[(None, None, "linear")] = lr_grid
    return lrs


def _run_dataset(cfg: StudyConfig, name: str, progress: bool):
    """Tune, then train and score the reported seeds, on one data set; ``(rows, choices, seconds)``."""
    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    tune = [1000 + i for i in range(cfg.tune_seeds)]
    seeds = list(range(cfg.seeds))
    datas, real = {}, None
    for s in tune + seeds:
        if name.startswith("boolean-"):
            task = name.split("-", 1)[1]
            datas[(name, s)] = boolean_data(task, cfg.k if task == "single" else cfg.k_multi, 10_000 * cfg.seed + s,
                                            cfg.n_train, cfg.n_val, cfg.n_test)
        else:  # one data set for every seed; the seed draws the initialisations
            real = real_data(name, cfg.seed) if real is None else real
            datas[(name, s)] = real
    n_values = (cfg.n_values if name.startswith("boolean-") else cfg.real_n_values if name == "mnist1d"
                else cfg.real_n_values_small)
    data0 = datas[(name, seeds[0])]
    tuned = _train(datas, name, tune, cfg, n_values, _all_lrs(cfg, data0, n_values, tuple(cfg.lr_grid)), progress,
                   f"{name} tune")
    val: dict = {}
    for r in tuned:
        val.setdefault((r.n if r.variant != "linear" else None, r.alpha, r.variant), {}).setdefault(r.lr, []).append(
            r.result["val"])
    chosen, choices = {}, []
    for key, by_lr in val.items():
        means = {lr: float(np.mean(v)) for lr, v in by_lr.items()}
        best = min(means, key=lambda lr: (-round(means[lr], 12), lr))
        chosen[key] = (best,)
        choices.append({"data": name, "n": key[0], "alpha": key[1], "variant": key[2], "lr": best,
                        **{f"val@{lr:g}": m for lr, m in sorted(means.items())}})
    for n in n_values:  # controls: the shuffled and untrained dense networks use dense's rate
        chosen[(n, None, "shuffled")] = chosen[(n, None, "untrained")] = chosen[(n, None, "dense")]
    rows = []
    for r in _train(datas, name, seeds, cfg, n_values, chosen, progress, name):
        history = r.result.pop("loss", [])
        used = r.result.get("steps", 0)  # the run's own steps: with a convergence rule they differ per run
        history = [(st, lo) for st, lo in history if st <= used]  # after a stop the loss only repeats
        steps, loss = zip(*history) if history else ((), ())
        half = next((i for i, st in enumerate(steps) if st >= used // 2), None)
        rows.append({"data": name, "n": r.n, "alpha": r.alpha, "variant": r.variant, "seed": r.seed, "lr": r.lr,
                     "steps": 0, "converged": False,
                     "loss_end": loss[-1] if loss else np.nan,
                     "loss_drop_second_half": (loss[half] - loss[-1]) / abs(loss[half]) if half is not None
                     and loss[half] else np.nan,
                     "positive_rate": float(np.mean(data0.positive_rate)) if data0.positive_rate else np.nan,
                     "n_clauses": len(data0.clauses) if data0.clauses else np.nan, **r.result})
    return rows, choices, time.perf_counter() - t0


def study_datasets(cfg: StudyConfig) -> list[str]:
    return [f"boolean-{t}" for t in cfg.boolean] + list(cfg.real)


def run_study(cfg: StudyConfig, progress: bool = True, datasets=None, jobs: int = 1):
    """Run the study; returns ``(runs, choices, seconds)``: one row per finished run of the reported seeds, the
    chosen learning rates (one row per data set, point and variant, with the tuning seeds' mean validation
    accuracy per rate) and wall seconds per data set. ``jobs > 1`` runs the data sets in that many processes
    (one torch thread each); the numbers do not depend on ``jobs``."""
    import pandas as pd

    names = list(datasets) if datasets is not None else study_datasets(cfg)
    if jobs > 1 and len(names) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from tqdm.auto import tqdm

        with ProcessPoolExecutor(min(jobs, len(names)), mp_context=mp.get_context("spawn")) as ex:
            futures = [ex.submit(_run_dataset, cfg, n, False) for n in names]
            bar = tqdm(total=len(names), desc="fpe study (data sets)", disable=not progress)
            from concurrent.futures import as_completed

            for _ in as_completed(futures):
                bar.update()
            bar.close()
            results = [f.result() for f in futures]
    else:
        results = [_run_dataset(cfg, n, progress) for n in names]
    rows = [r for res in results for r in res[0]]
    choices = [c for res in results for c in res[1]]
    return pd.DataFrame(rows), pd.DataFrame(choices), {n: res[2] for n, res in zip(names, results)}
