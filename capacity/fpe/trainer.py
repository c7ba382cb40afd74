"""Masked training for FPE: a thin call of :func:`capacity.train.fit`, the package's one batched training loop."""

from __future__ import annotations

import numpy as np

from ..train import TrainConfig, fit, init_weights

__all__ = ["init_weights", "train_masked"]


def train_masked(inits, masks=None, X=None, Y=None, *, steps: int, lr: float = 1e-2, loss: str = "bce",
                 dropconnect=None, eval_sets=None, seed: int = 0, progress: bool = False, desc: str = "train"):
    """:func:`capacity.train.fit` with full-batch Adam; returns ``(weights, masks, history, accuracies)`` where an
    output is right when the sign of its logit matches the 0/1 target (``bce``) or its argmax is the label (``ce``)."""
    cfg = TrainConfig(loss=loss, lr=lr, steps=steps, seed=seed, log_every=1)
    evals = {k: x for k, (x, _) in (eval_sets or {}).items()}
    ws, hist, out = fit(inits, X, Y, cfg, masks=masks, dropconnect=dropconnect, evals=evals, progress=progress,
                        desc=desc)
    accs = {}
    for k, (_, y) in (eval_sets or {}).items():
        logits, y = out[k], np.asarray(y)
        right = (logits.argmax(axis=2) == y) if loss == "ce" else ((logits >= 0) == (y > 0.5)).all(axis=2)
        accs[k] = right.mean(axis=1).astype(np.float64)
    ms = [[np.asarray(a, bool) for a in m] if m is not None else [np.ones(np.shape(w[2 * k]), bool)
          for k in range(len(w) // 2)] for w, m in zip(inits, masks or [None] * len(inits))]
    return ws, ms, hist, accs
