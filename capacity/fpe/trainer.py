"""Batched training of masked MLPs: many instances (seeds x variants) as one torch model.

Each weight tensor has a leading instance axis, as in :mod:`capacity.train`; unlike that trainer, this one
starts from given weights (an FPE network is fine-tuned from its expansion) and multiplies every weight matrix
by a fixed 0/1 mask in the forward pass, so masked weights get zero gradient and never move (Adam with a zero
gradient from zero state makes a zero step). Instances of different widths share one batch by zero-padding:
a padded unit has masked incoming and outgoing weights and a masked bias, so it contributes nothing.

:func:`train_masked_loop` runs the same trainer one instance at a time (the baseline of ``bench_fpe.py``).
torch is imported inside the functions only.
"""

from __future__ import annotations

import numpy as np

from ..errors import CapacityError
from ..train import init_weights  # re-exported: the FPE experiments start from it

__all__ = ["init_weights", "train_masked", "train_masked_loop"]

LOSSES = ("bce", "ce")
_EVAL_CHUNK = 8192


def _pad(arrs, shape):
    out = np.zeros((len(arrs), *shape))
    for i, a in enumerate(arrs):
        out[(i, *tuple(slice(0, s) for s in a.shape))] = a
    return out


def train_masked(inits, masks=None, X=None, Y=None, *, steps: int, lr: float = 1e-2, loss: str = "bce",
                 dropconnect=None, eval_sets=None, seed: int = 0, progress: bool = False, desc: str = "train"):
    """Train ``len(inits)`` masked MLPs at once with full-batch Adam.

    Args:
        inits: per instance, ``[W_0, b_0, ..., W_out, b_out]`` (numpy); all instances have the same depth.
        masks: per instance, one bool array per weight matrix (``None``: all weights free).
        X: ``(N, d)`` shared inputs or ``(I, N, d)`` per instance.
        Y: ``bce``: 0/1 targets ``(N, C)`` or ``(I, N, C)``; ``ce``: class labels ``(N,)`` or ``(I, N)``.
        loss: ``bce`` (sigmoid outputs) or ``ce`` (softmax cross-entropy).
        dropconnect: per-instance drop probability for every hidden-layer weight (not the readout) during
            training (``None``/0: none);
            kept weights are scaled by ``1/(1-p)`` in training, all weights are used unscaled at evaluation.
        eval_sets: ``{name: (X, Y)}`` (shapes as above) on which to report accuracy after training.
        seed: seeds the DropConnect noise (the only randomness here).

    Returns ``(weights, masks, history, accuracies)``: per-instance unpadded weights (float64) and masks, the
    per-instance loss every step ``(I, steps)``, and ``{name: (I,) accuracy}``. An output counts as right when
    the sign of its logit matches the 0/1 target (``bce``, all outputs) or the argmax is the label (``ce``).
    """
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    if loss not in LOSSES:
        raise CapacityError(f"loss must be one of {LOSSES}, got {loss!r}")
    n_inst = len(inits)
    if n_inst == 0:
        raise CapacityError("no instance to train")
    n_layers = len(inits[0]) // 2
    if any(len(w) != 2 * n_layers for w in inits):
        raise CapacityError("all instances in one batch must have the same number of layers")
    if masks is None:
        masks = [None] * n_inst
    masks = [[np.ones(w[2 * k].shape, bool) for k in range(n_layers)] if m is None else [np.asarray(a, bool) for a in m]
             for w, m in zip(inits, masks)]
    shapes = [tuple(max(w[2 * k].shape[a] for w in inits) for a in (0, 1)) for k in range(n_layers)]
    dt = torch.float32
    Ws = [torch.tensor(_pad([w[2 * k] for w in inits], shapes[k]), dtype=dt, requires_grad=True) for k in range(n_layers)]
    bs = [torch.tensor(_pad([w[2 * k + 1] for w in inits], shapes[k][:1]), dtype=dt, requires_grad=True)
          for k in range(n_layers)]
    Ms = [torch.tensor(_pad([m[k] for m in masks], shapes[k]), dtype=dt) for k in range(n_layers)]
    Mb = [torch.tensor(_pad([np.ones(w[2 * k + 1].shape) for w in inits], shapes[k][:1]), dtype=dt)
          for k in range(n_layers)]
    p = np.zeros(n_inst) if dropconnect is None else np.broadcast_to(np.asarray(dropconnect, float), (n_inst,))
    if ((p < 0) | (p >= 1)).any():
        raise CapacityError("dropconnect probabilities must be in [0, 1)")
    use_dc = bool((p > 0).any())
    keep = torch.tensor(1.0 - p, dtype=dt)[:, None, None]
    gen = torch.Generator().manual_seed(int(seed))

    def tensor_x(Xa):
        t = torch.as_tensor(np.asarray(Xa), dtype=dt)
        return t.unsqueeze(0).expand(n_inst, *t.shape) if t.dim() == 2 else t

    def tensor_y(Ya):
        t = torch.as_tensor(np.asarray(Ya), dtype=torch.long if loss == "ce" else dt)
        single = 1 if loss == "ce" else 2
        return t.unsqueeze(0).expand(n_inst, *t.shape) if t.dim() == single else t

    def forward(Xt, train: bool):
        h = Xt
        for k in range(n_layers):
            W = Ws[k] * Ms[k]
            if train and use_dc and k < n_layers - 1:
                W = W * (torch.rand(W.shape, generator=gen) < keep).to(dt) / keep
            h = torch.baddbmm((bs[k] * Mb[k]).unsqueeze(1), h, W.transpose(1, 2))
            if k < n_layers - 1:
                h = torch.relu(h)
        return h

    def per_instance_loss(logits, Yt):
        if loss == "bce":
            return F.binary_cross_entropy_with_logits(logits, Yt, reduction="none").mean(dim=(1, 2))
        return F.cross_entropy(logits.transpose(1, 2), Yt, reduction="none").mean(dim=1)

    Xt, Yt = tensor_x(X), tensor_y(Y)
    opt = torch.optim.Adam([*Ws, *bs], lr=lr)
    history = np.empty((n_inst, steps))
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=False)
    for step in bar:
        per = per_instance_loss(forward(Xt, True), Yt)
        opt.zero_grad(set_to_none=True)
        per.sum().backward()
        opt.step()
        history[:, step] = per.detach().numpy()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{history[:, step].mean():.4g}")
    bar.close()

    accs = {}
    with torch.no_grad():
        for name, (Xe, Ye) in (eval_sets or {}).items():
            Xe_t, Ye_t = tensor_x(Xe), tensor_y(Ye)
            right = torch.zeros(n_inst)
            N = Xe_t.shape[1]
            for a in range(0, N, _EVAL_CHUNK):
                logits = forward(Xe_t[:, a:a + _EVAL_CHUNK], False)
                y = Ye_t[:, a:a + _EVAL_CHUNK]
                if loss == "bce":
                    right += ((logits >= 0) == (y > 0.5)).all(dim=2).sum(dim=1)
                else:
                    right += (logits.argmax(dim=2) == y).sum(dim=1)
            accs[name] = (right / N).numpy().astype(np.float64)

    out_w, out_m = [], []
    for i, w in enumerate(inits):
        cur = []
        for k in range(n_layers):
            r, c = w[2 * k].shape
            cur.append((Ws[k][i, :r, :c] * Ms[k][i, :r, :c]).detach().double().numpy())
            cur.append(bs[k][i, :r].detach().double().numpy())
        out_w.append(cur)
        out_m.append(masks[i])
    return out_w, out_m, history, accs


def train_masked_loop(inits, masks=None, X=None, Y=None, **kw):
    """:func:`train_masked` one instance at a time (same results up to float summation order when no
    DropConnect is used); the unbatched baseline for the benchmark."""
    loss = kw.get("loss", "bce")
    y_dims = 2 if loss == "ce" else 3

    def pick(a, i, per_instance_ndim):
        a = np.asarray(a)
        return a[i] if a.ndim == per_instance_ndim else a

    masks = [None] * len(inits) if masks is None else masks
    dc = kw.pop("dropconnect", None)
    evals = kw.pop("eval_sets", None) or {}
    ws, ms, hs, accs = [], [], [], {k: [] for k in evals}
    for i in range(len(inits)):
        ev = {k: (pick(x, i, 3), pick(y, i, y_dims)) for k, (x, y) in evals.items()}
        w, m, h, a = train_masked([inits[i]], [masks[i]], pick(X, i, 3), pick(Y, i, y_dims),
                                  dropconnect=None if dc is None else [np.broadcast_to(dc, (len(inits),))[i]],
                                  eval_sets=ev, **kw)
        ws += w
        ms += m
        hs.append(h)
        for k in a:
            accs[k].append(a[k][0])
    return ws, ms, np.vstack(hs), {k: np.array(v) for k, v in accs.items()}
