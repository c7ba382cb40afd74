"""Sparse autoencoders (TopK and L1-ReLU), many trained at once, in plain torch (SAELens names).

``f = act(W_enc^T (x - b_dec) + b_enc)``, ``x_hat = W_dec^T f + b_dec`` with ``W_enc [d_in, d_sae]``,
``W_dec [d_sae, d_in]`` (one unit-norm row per latent, re-normalised after every step), ``act`` = TopK (keep the
``k`` largest pre-activations, ReLU) or ReLU with an L1 penalty ``l1_coeff * sum_j f_j`` (the decoder rows have
unit norm, so this is SAELens' norm-weighted L1). Every tensor carries a leading *instance* axis, so the SAEs
of many (checkpoint, layer) pairs of the same width train as one batched model; instances never interact (the
loss is a sum of per-instance losses and Adam is elementwise), as in ``capacity.train``.

Inputs are centred and scaled per instance to unit mean squared norm before training (SAELens' dataset
normalisation), so one learning rate and one ``l1_coeff`` fit every layer and checkpoint.

Metrics (:meth:`SAE.metrics`): FVU = ``sum ||x - x_hat||^2 / sum ||x - mean x||^2``, L0 = mean number of
active latents per example, dead fraction = share of latents active on no example. All defaults are ours.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import CapacityError

__all__ = ["SAE", "SAEConfig", "train_saes", "train_saes_loop"]

KINDS = ("topk", "l1")


@dataclass(frozen=True)
class SAEConfig:
    """How to build and train the SAEs (defaults ours).

    Args:
        kind: ``"topk"`` or ``"l1"``.
        expansion: ``d_sae = expansion * d_in`` unless ``d_sae`` is given.
        d_sae: dictionary size (overrides ``expansion``).
        k: active latents per example (TopK).
        l1_coeff: sparsity penalty (L1).
        steps, batch_size, lr: Adam training; ``batch_size`` examples per step per instance.
        seed: initialisation and minibatch order.
    """

    kind: str = "topk"
    expansion: int = 4
    d_sae: int | None = None
    k: int = 4
    l1_coeff: float = 0.05
    steps: int = 400
    batch_size: int = 256
    lr: float = 3e-3
    seed: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise CapacityError(f"SAE kind must be one of {KINDS}, got {self.kind!r}")
        if self.expansion < 1 or (self.d_sae is not None and self.d_sae < 1) or self.k < 1:
            raise CapacityError("need expansion >= 1, d_sae >= 1, k >= 1")
        if not (self.l1_coeff >= 0 and self.lr > 0 and self.steps >= 1 and self.batch_size >= 1):
            raise CapacityError("need l1_coeff >= 0, lr > 0, steps >= 1, batch_size >= 1")

    def size(self, d_in: int) -> int:
        """``d_sae`` for inputs of width ``d_in``; raises when TopK's ``k`` exceeds it."""
        d_sae = self.d_sae if self.d_sae is not None else self.expansion * d_in
        if self.kind == "topk" and self.k > d_sae:
            raise CapacityError(f"k = {self.k} exceeds d_sae = {d_sae} (d_in = {d_in})")
        return d_sae

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SAE:
    """Trained SAEs (numpy, float32, leading instance axis ``I``) plus the input normalisation."""

    config: SAEConfig
    W_enc: np.ndarray  # [I, d_in, d_sae]
    b_enc: np.ndarray  # [I, d_sae]
    W_dec: np.ndarray  # [I, d_sae, d_in], unit-norm rows
    b_dec: np.ndarray  # [I, d_in]
    mean: np.ndarray  # [I, d_in]   input centring
    scale: np.ndarray  # [I]         input scaling
    seconds: float = 0.0

    @property
    def n_instances(self) -> int:
        return self.W_enc.shape[0]

    @property
    def d_in(self) -> int:
        return self.W_enc.shape[1]

    @property
    def d_sae(self) -> int:
        return self.W_enc.shape[2]

    def _norm(self, X):
        return (np.asarray(X, dtype=np.float32) - self.mean[:, None]) / self.scale[:, None, None]

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Latents ``[I, N, d_sae]`` of raw inputs ``X [I, N, d_in]``."""
        import torch

        Xn = torch.from_numpy(self._norm(X))
        with torch.no_grad():
            f = _encode(self.config, Xn, torch.from_numpy(self.W_enc), torch.from_numpy(self.b_enc),
                        torch.from_numpy(self.b_dec))
        return f.numpy()

    def decode(self, F: np.ndarray) -> np.ndarray:
        """Reconstruction in the raw input space ``[I, N, d_in]``."""
        xn = np.einsum("inj,ijd->ind", F, self.W_dec) + self.b_dec[:, None]
        return xn * self.scale[:, None, None] + self.mean[:, None]

    def metrics(self, X: np.ndarray) -> dict:
        """Per instance: ``fvu``, ``l0`` and ``dead_frac`` on ``X [I, N, d_in]`` (arrays of length I)."""
        X = np.asarray(X, dtype=np.float64)
        F = self.encode(X)
        Xh = self.decode(F)
        resid = ((X - Xh) ** 2).sum(axis=(1, 2))
        total = ((X - X.mean(axis=1, keepdims=True)) ** 2).sum(axis=(1, 2))
        active = F > 0
        return {"fvu": resid / np.maximum(total, 1e-30), "l0": active.sum(axis=2).mean(axis=1),
                "dead_frac": (~active.any(axis=1)).mean(axis=1)}

    def select(self, idx) -> SAE:
        """The SAEs of the given instance indices."""
        idx = np.atleast_1d(idx)
        return SAE(self.config, self.W_enc[idx], self.b_enc[idx], self.W_dec[idx], self.b_dec[idx],
                   self.mean[idx], self.scale[idx], self.seconds)


def _encode(cfg: SAEConfig, Xn, W_enc, b_enc, b_dec):
    import torch

    pre = torch.einsum("ind,idj->inj", Xn - b_dec[:, None], W_enc) + b_enc[:, None]
    if cfg.kind == "topk":
        val, idx = pre.topk(cfg.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, idx, torch.relu(val))
    return torch.relu(pre)


def train_saes(X: np.ndarray, config: SAEConfig = SAEConfig(), *, progress: bool = True, desc: str = "SAE") -> SAE:
    """Train one SAE per instance of ``X [I, N, d_in]`` (or one SAE for ``X [N, d_in]``), all at once."""
    import torch
    from tqdm.auto import tqdm

    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[1] < 1 or not np.isfinite(X).all():
        raise CapacityError(f"SAE inputs must be finite [instances, examples, d_in], got shape {X.shape}")
    n_inst, N, d_in = X.shape
    d_sae = config.size(d_in)
    t0 = time.perf_counter()
    mean = X.mean(axis=1)
    scale = np.sqrt(((X - mean[:, None]) ** 2).sum(axis=2).mean(axis=1)).astype(np.float32)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    Xn = torch.from_numpy((X - mean[:, None]) / scale[:, None, None])

    gen = torch.Generator().manual_seed(config.seed)
    W_dec = torch.randn(n_inst, d_sae, d_in, generator=gen)
    W_dec /= W_dec.norm(dim=-1, keepdim=True)
    W_dec.requires_grad_(True)
    W_enc = W_dec.detach().transpose(1, 2).clone().requires_grad_(True)
    b_enc = torch.zeros(n_inst, d_sae, requires_grad=True)
    b_dec = torch.zeros(n_inst, d_in, requires_grad=True)
    opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=config.lr)
    bs = min(config.batch_size, N)
    ar = torch.arange(n_inst)[:, None]
    bar = tqdm(range(config.steps), desc=desc, disable=not progress, leave=False)
    for step in bar:
        idx = torch.randint(N, (n_inst, bs), generator=gen)
        xb = Xn[ar, idx]  # [I, bs, d_in]
        f = _encode(config, xb, W_enc, b_enc, b_dec)
        xh = torch.einsum("inj,ijd->ind", f, W_dec) + b_dec[:, None]
        loss = ((xh - xb) ** 2).sum(-1).mean(-1).sum()
        if config.kind == "l1":
            loss = loss + config.l1_coeff * f.sum(-1).mean(-1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            W_dec /= W_dec.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item() / n_inst:.4f}")
    return SAE(config, W_enc.detach().numpy().copy(), b_enc.detach().numpy().copy(),
               W_dec.detach().numpy().copy(), b_dec.detach().numpy().copy(), mean, scale,
               time.perf_counter() - t0)


def train_saes_loop(X: np.ndarray, config: SAEConfig = SAEConfig(), *, progress: bool = False) -> SAE:
    """The same SAEs trained one instance at a time (the benchmark's baseline for :func:`train_saes`)."""
    t0 = time.perf_counter()
    parts = [train_saes(X[i:i + 1], config, progress=progress) for i in range(len(X))]
    cat = {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("W_enc", "b_enc", "W_dec", "b_dec",
                                                                       "mean", "scale")}
    return SAE(config, seconds=time.perf_counter() - t0, **cat)
