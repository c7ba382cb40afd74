"""Gradient-trained networks on Boolean tasks, many at once (docs/design.md §6).

:func:`train` trains every ``(task, seed)`` pair as one *instance* of a single batched model: each weight
tensor has a leading instance axis (as in the toy-models-of-superposition notebook), layers are batched
matrix products, and one Adam optimiser steps all instances. Instances never interact: the objective is the
sum of the per-instance mean losses, whose gradient with respect to one instance's weights is that instance's
own gradient, and Adam is elementwise. Each instance's randomness (initialisation, sampled data, minibatches)
is drawn from its own generator seeded by ``(config.seed, seed, task.key)`` (the task's content, not its
position in the list), so the random numbers an instance sees do not depend on which other instances share the
batch. Rerunning the same batch gives bit-identical weights. A *different* batch gives the same instance the
same initialisation, data and minibatches, and the same weights up to floating-point summation order: the
BLAS kernels behind ``torch.bmm`` may add in a different order for a different batch shape or memory offset
(we measured differences of ~1e-7 in float32 and ~1e-16 in float64 after tens of steps; sometimes none).
Use ``dtype="float64"`` when runs in different batches must agree closely.

After training, the weights are copied out in float64 as :class:`~capacity.network.Network` objects and
judged exactly: which features each output computes on the *whole* domain (``y >= 0`` exactly where the
feature is 1, i.e. sigmoid >= 1/2) and the exact per-feature error rate over the domain.

The FCC paper's training settings (loss, optimiser, learning rate, steps, batch, initialisation, width) are
unknown (docs/science-fcc.md): **every default in** :class:`TrainConfig` **is ours**.

torch is imported inside the functions only; ``import capacity`` works without it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from itertools import pairwise

import numpy as np

from .errors import CapacityError
from .network import Network, computed
from .tasks import EXHAUSTIVE_LIMIT, Task

__all__ = ["FIT_LOSSES", "LOSSES", "Convergence", "TrainConfig", "TrainResult", "fit", "init_weights",
           "project_to_integers", "train", "train_loop"]

LOSSES = ("bce", "mse")
#: losses of :func:`fit`: ``ce`` (softmax cross-entropy on class labels) is for data sets, not for Boolean tasks
FIT_LOSSES = (*LOSSES, "ce")
DTYPES = ("float32", "float64")
_CHUNK = 64  # minibatch indices are drawn this many steps at a time, per instance (fixed: keeps streams fixed)


@dataclass(frozen=True)
class Convergence:
    """When :func:`fit` stops one network early (the rest of the batch trains on; ``config.steps`` is the cap).

    Checked at every logged step ``s`` (every ``config.log_every`` steps), from the training loss on all training
    points only (never the clock): the network stops at ``s`` when its training accuracy is 100 %, or when
    ``s >= window`` and its best loss up to ``s`` is lower than its best loss up to ``s - window`` by at most
    ``rel_tol`` of the latter. A stopped network keeps its weights from then on.

    Args:
        window: steps over which the loss must improve (a multiple of ``log_every`` is checked exactly).
        rel_tol: the relative improvement that still counts as a plateau.
        perfect: also stop at 100 % training accuracy (binary: every output of every point on the right side
            of 0; ``ce``: every argmax right).
    """

    window: int = 300
    rel_tol: float = 0.01
    perfect: bool = True

    def __post_init__(self):
        if isinstance(self.window, bool) or not isinstance(self.window, (int, np.integer)) or self.window < 1:
            raise CapacityError(f"window must be an integer >= 1, got {self.window!r}")
        t = self.rel_tol
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not np.isfinite(t) or t < 0:
            raise CapacityError(f"rel_tol must be a number >= 0, got {t!r}")

    def stop(self, steps: np.ndarray, history: np.ndarray, perfect: np.ndarray) -> np.ndarray:
        """Per instance: does the rule fire at the last column of ``history`` (losses at logged ``steps``)?"""
        old = steps <= steps[-1] - self.window
        fire = np.asarray(perfect, bool) & self.perfect
        if not old.any():
            return fire
        best_then = history[:, old].min(axis=1)
        best_now = history.min(axis=1)
        return fire | (best_then - best_now <= self.rel_tol * np.abs(best_then))


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in the dev environment
        raise CapacityError("training needs torch: pip install 'capacity[train]'") from None
    return torch


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Every default is ours (the paper's settings are unknown).

    Args:
        hidden: widths of the ReLU hidden layers; one entry gives the two-layer MLP of the paper
            (``W_in, b_in, W_out, b_out``), more entries a deeper MLP (``W_hidden, b_hidden`` in between).
        loss: ``"bce"``: binary cross-entropy on sigmoid outputs (default); ``"mse"``: squared error between the
            sigmoid output and the 0/1 target. Either way an output reads as 1 where its logit is ``>= 0``.
        lr: Adam learning rate.
        steps: optimiser steps.
        batch_size: points per step and instance, drawn with replacement; ``None`` = full batch (all training
            points every step).
        n_samples: training points per instance; ``None`` = the task's default (the whole domain when it has
            at most ``capacity.tasks.EXHAUSTIVE_LIMIT`` points).
        init_scale: multiplies PyTorch's ``nn.Linear`` initialisation: weights and biases uniform in
            ``[-a, a]`` with ``a = init_scale / sqrt(fan_in)``.
        weight_decay: Adam's L2 penalty (``torch.optim.Adam(weight_decay=...)``).
        balance: weigh each feature's positive and negative training points so that both halves count
            the same in the loss (for rare features such as ANDs on sparse inputs, where the constant 0 is
            almost right); ``False`` (default) weighs every point the same.
        seed: mixed into every instance's seed (see :func:`train`).
        device: torch device (CPU is what we test).
        dtype: ``"float32"`` (default) or ``"float64"`` for the training arithmetic.
        log_every: record the per-instance loss every this many steps (and at the last step).
    """

    hidden: tuple = (16,)
    loss: str = "bce"
    lr: float = 1e-2
    steps: int = 2000
    batch_size: int | None = None
    n_samples: int | None = None
    init_scale: float = 1.0
    weight_decay: float = 0.0
    balance: bool = False
    seed: int = 0
    device: str = "cpu"
    dtype: str = "float32"
    log_every: int = 10

    def __post_init__(self):
        hidden = (self.hidden,) if isinstance(self.hidden, (int, np.integer)) else self.hidden
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise CapacityError(f"hidden must be a width or a sequence of widths, got {self.hidden!r}") from None
        if not hidden or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            raise CapacityError(f"hidden must be one or more positive integer widths, got {self.hidden!r}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in hidden))
        if self.loss not in FIT_LOSSES:
            raise CapacityError(f"loss must be one of {', '.join(FIT_LOSSES)}, got {self.loss!r}")
        if self.dtype not in DTYPES:
            raise CapacityError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        for name in ("lr", "init_scale"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v <= 0:
                raise CapacityError(f"{name} must be a positive number, got {v!r}")
        wd = self.weight_decay
        if isinstance(wd, bool) or not isinstance(wd, (int, float)) or not np.isfinite(wd) or wd < 0:
            raise CapacityError(f"weight_decay must be a number >= 0, got {wd!r}")
        for name, minimum, optional in (("steps", 1, False), ("batch_size", 1, True), ("n_samples", 1, True),
                                        ("seed", 0, False), ("log_every", 1, False)):
            v = getattr(self, name)
            if v is None and optional:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
                raise CapacityError(f"{name} must be an integer >= {minimum}, got {v!r}")
            object.__setattr__(self, name, int(v))
        if not isinstance(self.balance, (bool, np.bool_)):
            raise CapacityError(f"balance must be True or False, got {self.balance!r}")
        if not isinstance(self.device, str) or not self.device:
            raise CapacityError(f"device must be a torch device name such as 'cpu', got {self.device!r}")

    @property
    def logged_steps(self) -> np.ndarray:
        """The step numbers (1-based, after the update) whose loss is recorded."""
        s = np.arange(self.log_every, self.steps + 1, self.log_every)
        return s if s.size and s[-1] == self.steps else np.append(s, self.steps)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Trained networks and their exact judgement, one *instance* per ``(task, seed)``.

    Instance ``i`` is task ``instances[i][0]`` (an index into ``tasks``) trained with seed ``instances[i][1]``;
    instances are ordered task-major (all seeds of task 0, then task 1, ...).

    Args:
        tasks, seeds, config: what was trained.
        instances: ``(task_index, seed)`` per instance.
        networks: the trained networks (float64 copies of the weights).
        loss_history: ``(instances, len(logged_steps))`` per-instance training loss.
        logged_steps: step numbers of the loss columns.
        computed: ``(instances, n_features)`` exact: output ``f`` computes feature ``f`` on the whole domain.
        error_rates: ``(instances, n_features)`` exact fraction of domain points where output ``f`` is wrong.
        seconds: wall time of the training (data, optimisation, copying out; not the exact judgement).
    """

    tasks: tuple
    seeds: tuple
    config: TrainConfig
    instances: tuple
    networks: tuple
    loss_history: np.ndarray
    logged_steps: np.ndarray
    computed: np.ndarray
    error_rates: np.ndarray
    seconds: float = 0.0

    def network(self, task: int, seed: int) -> Network:
        """The network trained on ``tasks[task]`` with ``seed``."""
        try:
            return self.networks[self.instances.index((task, seed))]
        except ValueError:
            raise CapacityError(f"no network for task {task} and seed {seed}") from None

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss_history[:, -1]

    def to_frame(self):
        """Long table: one row per (task, seed, feature) with ``error_rate`` and ``computed``."""
        import pandas as pd

        rows = []
        for i, (t, s) in enumerate(self.instances):
            task = self.tasks[t]
            for f, name in enumerate(task.features.names):
                rows.append({"task": t, "task_name": task.name, "seed": s, "feature": name, "feature_index": f,
                             "error_rate": float(self.error_rates[i, f]), "computed": bool(self.computed[i, f]),
                             "final_loss": float(self.loss_history[i, -1])})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "seeds": list(self.seeds),
            "tasks": [t.to_dict() for t in self.tasks],
            "seconds": self.seconds,
            "logged_steps": self.logged_steps.tolist(),
            "instances": [
                {"task": t, "seed": s, "final_loss": float(self.loss_history[i, -1]),
                 "n_computed": int(self.computed[i].sum()),
                 "error_rates": self.error_rates[i].tolist(), "computed": self.computed[i].tolist(),
                 "parameter_size": self.networks[i].parameter_size}
                for i, (t, s) in enumerate(self.instances)
            ],
        }


# ---------------------------------------------------------------------------------------------
# the batched trainer


def _check(tasks, seeds):
    if isinstance(tasks, Task):
        tasks = (tasks,)
    tasks = tuple(tasks)
    if not tasks:
        raise CapacityError("no task to train")
    for t in tasks:
        if not isinstance(t, Task):
            raise CapacityError(f"tasks must be capacity.tasks.Task objects, got {type(t).__name__}")
    seeds = (seeds,) if isinstance(seeds, (int, np.integer)) else tuple(seeds)
    if not seeds:
        raise CapacityError("no seed given")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise CapacityError(f"seeds must be integers >= 0, got {s!r}")
    seeds = tuple(int(s) for s in seeds)
    if len(set(seeds)) != len(seeds):
        raise CapacityError(f"seeds repeat: {list(seeds)}")
    return tasks, seeds


def _check_shapes(tasks, config: TrainConfig):
    if config.loss not in LOSSES:
        raise CapacityError(f"tasks train with loss {' or '.join(LOSSES)}, got {config.loss!r}")
    m = {t.n_inputs for t in tasks}
    f = {t.n_features for t in tasks}
    if len(m) > 1:
        raise CapacityError(f"tasks in one batch must have the same number of inputs, got {sorted(m)}")
    if len(f) > 1:
        raise CapacityError(f"tasks in one batch must have the same number of features, got {sorted(f)}")
    if config.n_samples is None:
        sizes = {min(t.domain.size, EXHAUSTIVE_LIMIT) for t in tasks}
        if len(sizes) > 1:
            raise CapacityError(f"tasks in one batch must have the same number of training points, got "
                                f"{sorted(sizes)}; set n_samples or train them in separate calls")


def _seed_sequence(config: TrainConfig, seed: int, task: Task, purpose: int) -> np.random.SeedSequence:
    key = np.frombuffer(task.key[:16], dtype="<u4").tolist()
    return np.random.SeedSequence([config.seed, seed, purpose, *key])


_INIT, _DATA, _BATCH = 0, 1, 2


def init_weights(sizes, rng: np.random.Generator, scale: float = 1.0) -> list[np.ndarray]:
    """``[W_0, b_0, ..., W_out, b_out]`` for layer sizes ``(d_in, h_1, ..., n_out)`` like ``nn.Linear``: uniform
    in ``+-scale/sqrt(fan_in)``."""
    out = []
    for fan_in, width in pairwise(sizes):
        a = scale / np.sqrt(fan_in)
        out.append(rng.uniform(-a, a, size=(width, fan_in)))
        out.append(rng.uniform(-a, a, size=width))
    return out


def _train_batch(tasks, seeds, config: TrainConfig, progress: bool, desc: str, masks=None):
    """Train every (task, seed) pair as one batched model; return ``(instances, weights, history)``."""
    instances = tuple((t, s) for t in range(len(tasks)) for s in seeds)
    m, n_out = tasks[0].n_inputs, tasks[0].n_features
    inits, Xs, Ys, batch_seeds = [], [], [], []
    data_cache: dict = {}
    for t, s in instances:
        task = tasks[t]
        rng = np.random.default_rng(_seed_sequence(config, s, task, _INIT))
        inits.append(init_weights((m, *config.hidden, n_out), rng, config.init_scale))
        exhaustive = config.n_samples is None and task.domain.size <= EXHAUSTIVE_LIMIT
        if exhaustive:  # no randomness: share the arrays between the seeds of a task
            if t not in data_cache:
                data_cache[t] = task.data()
            X, Y = data_cache[t]
        else:
            X, Y = task.data(config.n_samples, seed=_seed_sequence(config, s, task, _DATA))
        Xs.append(X)
        Ys.append(Y)
        batch_seeds.append(_seed_sequence(config, s, task, _BATCH))
    sizes = {x.shape[0] for x in Xs}
    if len(sizes) > 1:  # pragma: no cover - _check_shapes catches this first
        raise CapacityError(f"instances have different numbers of training points: {sorted(sizes)}")
    if masks is not None:
        masks = [masks] * len(instances)
    weights, history, _ = fit(inits, np.stack(Xs), np.stack(Ys), config, masks=masks, batch_seeds=batch_seeds,
                              progress=progress, desc=desc)
    return instances, [np.stack([w[k] for w in weights]) for k in range(len(weights[0]))], history


def _pad(arrs, shape):
    out = np.zeros((len(arrs), *shape))
    for i, a in enumerate(arrs):
        out[(i, *tuple(slice(0, s) for s in a.shape))] = a
    return out


def fit(inits, X, Y, config: TrainConfig, masks=None, dropconnect=None, batch_seeds=None, evals=None,
        progress: bool = False, desc: str = "fit", converge: Convergence | None = None, report: dict | None = None):
    """The one batched training loop: ``len(inits)`` MLPs trained at once from given weights.

    :func:`train` builds its networks and data from tasks and calls this; the FPE study (:mod:`capacity.fpe`)
    calls it directly with expanded, pruned or sparse starting points.

    Args:
        inits: per instance ``[W_0, b_0, ..., W_out, b_out]`` (numpy); all instances have the same depth, widths
            may differ (narrower instances are zero-padded; padded weights and biases are masked, so they stay 0).
        X: ``(N, d)`` inputs shared by all instances or ``(I, N, d)`` per instance.
        Y: for ``bce``/``mse`` 0/1 targets ``(N, F)`` or ``(I, N, F)``; for ``ce`` class labels ``(N,)`` or ``(I, N)``.
        config: ``loss``, ``lr``, ``steps``, ``batch_size``, ``weight_decay``, ``balance``, ``dtype``, ``device``,
            ``log_every`` and ``seed`` (the DropConnect noise) are used; ``hidden``, ``n_samples`` and
            ``init_scale`` are not (the weights are given).
        masks: per instance ``None`` or one bool array per weight matrix: the weight is multiplied by its mask in
            every forward pass, so a masked entry gets zero gradient and, starting at 0, never moves (Adam with
            zero gradients from zero state steps by exactly 0). Biases are never masked.
        dropconnect: per-instance drop probability (or one for all) applied to every weight matrix in training:
            kept weights are scaled by ``1/(1-p)``; evaluation uses all weights unscaled. Its noise comes from one
            torch generator seeded with ``config.seed``, so it depends on the batch's composition.
        batch_seeds: per instance, the seed of its minibatch stream (``batch_size`` only); default the instance's
            position, so pass seeds when an instance must not depend on its batch.
        evals: ``{name: X}`` with ``X`` of shape ``(N, d)`` or ``(I, N, d)``: logits after training are returned.
        converge: stop each network by this :class:`Convergence` rule (``config.steps`` is the cap); a stopped
            network's weights stay as they were, its later loss columns repeat its last loss, and the rest of the
            batch trains on (only the running instances enter the forward pass). ``None``: every network trains
            ``config.steps`` steps (the default; unchanged arithmetic).
        report: a dict that receives ``steps`` (per instance, steps trained) and ``converged`` (per instance,
            whether the rule fired, possibly at the cap).

    Returns ``(weights, history, outputs)``: per-instance unpadded float64 weights (masked entries exactly 0), the
    per-instance training loss at ``config.logged_steps`` (on all training points) and ``{name: (I, N, C)}`` logits.
    Without masks, padding and DropConnect the arithmetic is exactly that of an unmasked model (an all-ones mask
    multiplies by 1.0, so it changes no bit either).
    """
    torch = _torch()
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    n_inst = len(inits)
    if n_inst == 0:
        raise CapacityError("no instance to train")
    n_layers = len(inits[0]) // 2
    if any(len(w) != 2 * n_layers for w in inits):
        raise CapacityError("all instances in one batch must have the same number of layers")
    dtype = torch.float32 if config.dtype == "float32" else torch.float64
    try:
        device = torch.device(config.device)
        torch.zeros(1, device=device)
    except (RuntimeError, AssertionError) as exc:
        raise CapacityError(f"cannot use torch device {config.device!r}: {str(exc).splitlines()[0]}") from None

    shapes = [tuple(max(np.shape(w[2 * k])[a] for w in inits) for a in (0, 1)) for k in range(n_layers)]
    padded = any(np.shape(w[2 * k]) != shapes[k] for w in inits for k in range(n_layers))
    masks = [None] * n_inst if masks is None else list(masks)
    if len(masks) != n_inst:
        raise CapacityError(f"got {len(masks)} masks for {n_inst} instances")
    use_masks = padded or any(m is not None for m in masks)
    if use_masks:
        full = [[np.ones(np.shape(w[2 * k]), bool) for k in range(n_layers)] if m is None
                else [np.asarray(a, bool) for a in m] for w, m in zip(inits, masks)]
        for w, m in zip(inits, full):
            if [a.shape for a in m] != [np.shape(w[2 * k]) for k in range(n_layers)]:
                raise CapacityError("a mask must have the shape of its weight matrix")
        Ms = [torch.as_tensor(_pad([m[k] for m in full], shapes[k]), dtype=dtype, device=device)
              for k in range(n_layers)]
        Mb = [torch.as_tensor(_pad([np.ones(np.shape(w[2 * k])[0]) for w in inits], shapes[k][:1]), dtype=dtype,
                              device=device) for k in range(n_layers)]
        inits = [[np.asarray(a) * (m[j // 2] if j % 2 == 0 else 1) for j, a in enumerate(w)]
                 for w, m in zip(inits, full)]
    params = [torch.tensor(_pad([w[j] for w in inits], shapes[j // 2][: 2 - j % 2]), dtype=dtype, device=device,
                           requires_grad=True) for j in range(2 * n_layers)]
    p_drop = np.zeros(n_inst) if dropconnect is None else np.broadcast_to(np.asarray(dropconnect, float), (n_inst,))
    if ((p_drop < 0) | (p_drop >= 1)).any():
        raise CapacityError("dropconnect probabilities must be in [0, 1)")
    use_dc = bool((p_drop > 0).any())
    keep = torch.as_tensor(1.0 - p_drop, dtype=dtype, device=device)[:, None, None]
    gen = torch.Generator(device=device).manual_seed(int(config.seed))

    ce = config.loss == "ce"

    def as_x(a):
        t = torch.as_tensor(np.asarray(a), dtype=dtype, device=device)
        return t.unsqueeze(0).expand(n_inst, *t.shape) if t.dim() == 2 else t

    X_all = as_x(X)
    Y_all = torch.as_tensor(np.asarray(Y), dtype=torch.long if ce else dtype, device=device)
    if Y_all.dim() == (1 if ce else 2):
        Y_all = Y_all.unsqueeze(0).expand(n_inst, *Y_all.shape)
    n_points = X_all.shape[1]
    opt = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    rows = torch.arange(n_inst, device=device)[:, None]

    def forward(X, train=False, act=None):  # act: the running instances' indices (None: all)
        h = X
        for k in range(n_layers):
            W, b = params[2 * k], params[2 * k + 1]
            if act is not None:
                W, b = W[act], b[act]
            if use_masks:
                W, b = (W * Ms[k], b * Mb[k]) if act is None else (W * Ms[k][act], b * Mb[k][act])
            if train and use_dc:
                kp = keep if act is None else keep[act]
                W = W * (torch.rand(W.shape, generator=gen, device=device, dtype=dtype) < kp).to(dtype) / kp
            h = torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2))
            if k < n_layers - 1:
                h = torch.relu(h)
        return h

    if config.balance and not ce:  # per instance and feature: positives and negatives weigh half each
        pos = Y_all.mean(dim=1, keepdim=True).clamp(1.0 / (2 * n_points), 1 - 1.0 / (2 * n_points))
        w_pos_all, w_neg_all = 0.5 / pos, 0.5 / (1 - pos)

    def losses(logits, Y, act=None):  # per-instance mean over points and features
        if ce:
            return F.cross_entropy(logits.transpose(1, 2), Y, reduction="none").mean(dim=1)
        if config.loss == "bce":
            per = F.binary_cross_entropy_with_logits(logits, Y, reduction="none")
        else:
            per = (torch.sigmoid(logits) - Y) ** 2
        if config.balance:
            w_pos, w_neg = (w_pos_all, w_neg_all) if act is None else (w_pos_all[act], w_neg_all[act])
            per = per * (Y * w_pos + (1 - Y) * w_neg)
        return per.mean(dim=(1, 2))

    if config.batch_size is not None:
        seeds = range(n_inst) if batch_seeds is None else batch_seeds
        batch_rngs = [np.random.default_rng(s) for s in seeds]
    logged = config.logged_steps
    history = np.empty((n_inst, logged.size))
    col = 0
    chunk = None
    stopped = np.zeros(n_inst, bool)  # by the convergence rule (never without one)
    used = np.full(n_inst, config.steps)
    act = None  # indices of the running instances once some have stopped
    bar = tqdm(range(1, config.steps + 1), desc=desc, disable=not progress, leave=False)
    for step in bar:
        if config.batch_size is None:
            Xb, Yb = X_all, Y_all
        else:
            j = (step - 1) % _CHUNK
            if j == 0:  # the next _CHUNK steps' indices, per instance, from that instance's own stream
                chunk = torch.as_tensor(np.stack([r.integers(0, n_points, size=(_CHUNK, config.batch_size))
                                                  for r in batch_rngs], axis=1), device=device)  # (C, I, B)
            idx = chunk[j]
            Xb, Yb = X_all[rows, idx], Y_all[rows, idx]
        if act is not None:
            Xb, Yb = Xb[act], Yb[act]
        per = losses(forward(Xb, True, act), Yb, act)
        opt.zero_grad(set_to_none=True)
        per.sum().backward()
        opt.step()
        if act is not None:  # Adam moves a zero-gradient entry by its momentum: put the stopped weights back
            with torch.no_grad():
                for p, f in zip(params, frozen):
                    p[still] = f
        if col < logged.size and step == logged[col]:
            with torch.no_grad():  # the loss after this step's update, on all training points
                Xa, Ya = (X_all, Y_all) if act is None else (X_all[act], Y_all[act])
                logits = forward(Xa, act=act)
                now = losses(logits, Ya, act).cpu().numpy().astype(np.float64)
                if converge is not None and converge.perfect:
                    right = logits.argmax(dim=2) == Ya if ce else (logits >= 0) == (Ya > 0.5)
                    perfect = right.flatten(1).all(dim=1).cpu().numpy()
            run = np.flatnonzero(~stopped)
            history[:, col] = history[:, col - 1] if col else 0.0
            history[run, col] = now
            col += 1
            bar.set_postfix(loss=f"{now.mean():.4g}")
            if converge is not None:
                full = np.zeros(n_inst, bool)
                if converge.perfect:
                    full[run] = perfect
                fire = converge.stop(logged[:col], history[:, :col], full) & ~stopped
                if fire.any():
                    stopped |= fire
                    used[fire] = step
                    if stopped.all():
                        break
                    act = torch.as_tensor(np.flatnonzero(~stopped), device=device)
                    still = torch.as_tensor(np.flatnonzero(stopped), device=device)
                    frozen = [p.detach()[still].clone() for p in params]
    if col < logged.size:  # every network stopped: the remaining columns repeat the last losses
        history[:, col:] = history[:, col - 1:col]
    if report is not None:
        report["steps"] = used
        report["converged"] = stopped.copy()
    bar.close()
    outputs = {}
    with torch.no_grad():
        for name, Xe in (evals or {}).items():
            outputs[name] = forward(as_x(Xe)).cpu().numpy()
        eff = [(p * Ms[k // 2] if k % 2 == 0 else p * Mb[k // 2]) if use_masks else p for k, p in enumerate(params)]
        eff = [p.detach().cpu().numpy().astype(np.float64) for p in eff]
    weights = []
    for i, w in enumerate(inits):
        cur = []
        for k in range(n_layers):
            r, c = np.shape(w[2 * k])
            cur += [eff[2 * k][i, :r, :c], eff[2 * k + 1][i, :r]]
        weights.append(cur)
    return weights, history, outputs


def _networks(weights, n_inst) -> list[Network]:
    nets = []
    for i in range(n_inst):
        w = [a[i] for a in weights]
        Wh, bh = tuple(w[2:-2:2]), tuple(w[3:-2:2])
        nets.append(Network(w[0], w[1], w[-2], w[-1], "relu", Wh, bh))
    return nets


def _judge(tasks, instances, nets):
    """Exact per-feature correctness and error rate of every network on its task's whole domain."""
    from .domain import popcount

    n_feat = tasks[0].n_features
    comp = np.zeros((len(nets), n_feat), dtype=bool)
    err = np.zeros((len(nets), n_feat))
    for i, ((t, _), net) in enumerate(zip(instances, nets)):
        task = tasks[t]
        comp[i] = computed(net, task.features, aligned=True)
        wrong = popcount(net.truth_tables(task.domain) ^ task.features.tables)
        err[i] = wrong / task.domain.size
    return comp, err


def _result(tasks, seeds, config, instances, nets, history, seconds) -> TrainResult:
    comp, err = _judge(tasks, instances, nets)
    return TrainResult(tasks, seeds, config, instances, tuple(nets), history, config.logged_steps, comp, err,
                       seconds)


def train(tasks, config: TrainConfig | None = None, seeds=(0,), progress: bool = True, masks=None) -> TrainResult:
    """Train one network per ``(task, seed)``, all at once as one batched model; judge each one exactly.

    Instance ``(task, seed)`` draws its initialisation (and its sampled data and minibatches, if any) from a
    generator seeded by ``(config.seed, seed, task.key)``, whatever else is in the batch; the same call gives
    bit-identical weights, another batch the same weights up to float summation order (module docstring).
    Tasks must share the number of inputs and of features (and of training points); nothing is padded. Uses
    the torch thread count set by the caller (``torch.set_num_threads``; for many small networks one thread is
    often fastest). ``progress`` shows a tqdm bar with the mean loss.

    ``masks``: one bool array per weight matrix (shapes ``(h_1, m), ..., (n_features, h_last)``), the same for
    every instance: masked weights start at 0 and stay exactly 0 (see :func:`fit`, the training loop).
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise CapacityError(f"config must be a TrainConfig, got {type(config).__name__}")
    tasks, seeds = _check(tasks, seeds)
    _check_shapes(tasks, config)
    if masks is not None:
        sizes = (tasks[0].n_inputs, *config.hidden, tasks[0].n_features)
        want = [(b, a) for a, b in pairwise(sizes)]
        masks = [np.asarray(mk, dtype=bool) for mk in masks]
        if [mk.shape for mk in masks] != want:
            raise CapacityError(f"masks must have the weight shapes {want}, got {[mk.shape for mk in masks]}")
    t0 = time.perf_counter()
    instances, weights, history = _train_batch(tasks, seeds, config, progress,
                                               desc=f"train {len(tasks) * len(seeds)} nets", masks=masks)
    nets = _networks(weights, len(instances))
    seconds = time.perf_counter() - t0
    return _result(tasks, seeds, config, instances, nets, history, seconds)


def train_loop(tasks, config: TrainConfig | None = None, seeds=(0,), progress: bool = True) -> TrainResult:
    """The same training one network at a time (the unbatched baseline of ``benchmarks/bench_training.py``).

    Runs the batched trainer once per ``(task, seed)`` with a single instance, so each network gets the same
    initialisation, data and minibatches as in :func:`train` and the same weights up to float summation order.
    """
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise CapacityError(f"config must be a TrainConfig, got {type(config).__name__}")
    tasks, seeds = _check(tasks, seeds)
    _check_shapes(tasks, config)
    t0 = time.perf_counter()
    instances, nets, hist = [], [], []
    for t, task in enumerate(tasks):
        for s in seeds:
            _, weights, h = _train_batch((task,), (s,), config, progress, desc=f"train task {t} seed {s}")
            instances.append((t, s))
            nets += _networks(weights, 1)
            hist.append(h)
    seconds = time.perf_counter() - t0
    return _result(tasks, seeds, config, tuple(instances), nets, np.vstack(hist), seconds)


# ---------------------------------------------------------------------------------------------
# project-then-verify: a trained network moved into the integer class of the exact solvers

#: scale multipliers tried for the hidden layer (one for all units) and for each readout row
PROJECT_HIDDEN_SCALES = (0.5, 0.75, 1.0, 1.5, 2.0)
PROJECT_READOUT_SCALES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def project_to_integers(network: Network, features, weight_bound: int = 1):
    """Move a one-hidden-layer ReLU network into the exact solvers' class (weights integers in
    ``[-K, K]``, free integer biases) and verify it exactly; returns ``(integer_network, computed)``.

    ReLU is positively homogeneous, so scaling a hidden unit's row ``(w, b)`` by ``s > 0`` and its readout
    column by ``1/s`` changes nothing. Hidden layer: for each multiplier ``a`` of
    :data:`PROJECT_HIDDEN_SCALES`, every unit is scaled so its largest weight is ``a K``, rounded and clipped
    to ``[-K, K]`` (bias rounded). Readout, per feature: the rescaled row is scaled so its largest weight is
    ``c K`` for each ``c`` of :data:`PROJECT_READOUT_SCALES`, rounded and clipped, and the output bias is
    chosen exactly (``-min`` of the readout over the feature's positive points) when the row separates the
    feature's points. The hidden multiplier computing the most features wins (first on ties). Deterministic;
    the returned ``computed`` is :func:`capacity.network.computed` on the whole domain (exact).
    """
    K = int(weight_bound)
    if K < 1:
        raise CapacityError(f"weight bound must be an integer >= 1, got {weight_bound!r}")
    if network.W_hidden or network.activation != "relu":
        raise CapacityError("projection handles one hidden ReLU layer")
    X = features.domain.points.astype(np.int64)  # (N, m)
    T = np.asarray(features.bits, dtype=bool)  # (F, N)
    W, b, Wo = (np.asarray(a, dtype=float) for a in (network.W_in, network.b_in, network.W_out))
    M = np.abs(W).max(axis=1)
    live = M > 0
    best = None
    for a in PROJECT_HIDDEN_SCALES:
        s = np.where(live, a * K / np.where(live, M, 1.0), 0.0)
        Wq = np.clip(np.rint(W * s[:, None]), -K, K).astype(np.int64)
        bq = np.where(live, np.rint(b * s), 0).astype(np.int64)
        H = np.maximum(X @ Wq.T + bq, 0)  # (N, n) integers
        U = np.where(live, Wo / np.where(live, s, 1.0), 0.0)  # readout of the rescaled units
        Um = np.abs(U).max(axis=1)
        V = np.zeros(U.shape, dtype=np.int64)
        c = np.full(len(U), -1, dtype=np.int64)
        done = np.zeros(len(U), dtype=bool)
        for r in PROJECT_READOUT_SCALES:
            Vr = np.clip(np.rint(U * (r * K / np.where(Um > 0, Um, 1.0))[:, None]), -K, K).astype(np.int64)
            Z = H @ Vr.T  # (N, F)
            big = np.iinfo(np.int64).max
            lo_pos = np.where(T.T, Z, big).min(axis=0)
            hi_neg = np.where(T.T, -big, Z).max(axis=0)
            ok = (lo_pos > hi_neg) & ~done
            V[ok], c[ok] = Vr[ok], np.where(lo_pos[ok] == big, -hi_neg[ok] - 1, -lo_pos[ok])
            done |= ok
        if best is None or done.sum() > best[0]:
            best = (int(done.sum()), Wq, bq, V, c)
    _, Wq, bq, V, c = best
    net = Network(Wq, bq, V, c, "relu")
    return net, computed(net, features, aligned=True)
