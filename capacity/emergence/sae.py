"""Sparse autoencoders (TopK with AuxK, and L1-ReLU), many trained at once, in plain torch (SAELens names).

``f = act(W_enc^T (x - b_dec) + b_enc)``, ``x_hat = W_dec^T f + b_dec`` with ``W_enc [d_in, d_sae]``,
``W_dec [d_sae, d_in]`` (one unit-norm row per latent, re-normalised after every step), ``act`` = TopK (keep the
``k`` largest pre-activations, ReLU) or ReLU with an L1 penalty ``l1_coeff * sum_j f_j`` (the decoder rows have
unit norm, so this is SAELens' norm-weighted L1). Every tensor carries a leading *instance* axis, so the SAEs
of many (seed, checkpoint, layer) cells of the same width train as one batched model; instances never interact
(the loss is a sum of per-instance losses and Adam is elementwise), as in ``capacity.train``.

* **Normalisation** (SAELens' ``expected_average_only_in``): each instance's inputs are multiplied by
  ``norm_factor = sqrt(d_in) / mean ||x||`` (no centring), so one learning rate fits every layer and checkpoint.
* **AuxK** (Gao et al. 2024, as in SAELens' TopK trainer): a latent that has not fired for ``dead_steps``
  steps is dead; the ``aux_k`` largest pre-activations among dead latents reconstruct the (detached) residual
  error ``e = x - x_hat`` through the decoder, and ``aux_coeff * min(n_dead / aux_k, 1) * NMSE(e_hat, e)`` is
  added to the loss (NMSE: ``||e - e_hat||^2`` over the variance of ``e``, as Gao et al. normalise). It gives
  dead latents a gradient.
* **Files** (:meth:`SAE.save`, :func:`load_sae`): ``cfg.json`` + ``sae_weights.safetensors`` with SAELens'
  names and shapes; the normalisation factor is folded into the weights first (SAELens'
  ``fold_activation_norm_scaling_factor``), so the saved SAE takes raw activations.

Metrics (:meth:`SAE.metrics`): FVU = ``sum ||x - x_hat||^2 / sum ||x - mean x||^2``, L0 = mean number of
active latents per example, dead fraction = share of latents active on no example, and each latent's firing
frequency. All defaults are ours.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import CapacityError

__all__ = ["SAE", "SAEConfig", "load_sae", "train_saes", "train_saes_loop"]

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
        auxk: add the AuxK loss against dead latents (TopK only).
        aux_k: dead latents used by AuxK (default: the power of two nearest below ``d_in / 2``, as SAELens).
        aux_coeff: weight of the AuxK loss (1/32, as Gao et al.).
        dead_steps: steps without firing after which a latent counts as dead for AuxK.
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
    auxk: bool = True
    aux_k: int | None = None
    aux_coeff: float = 1 / 32
    dead_steps: int = 50
    seed: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise CapacityError(f"SAE kind must be one of {KINDS}, got {self.kind!r}")
        if self.expansion < 1 or (self.d_sae is not None and self.d_sae < 1) or self.k < 1:
            raise CapacityError("need expansion >= 1, d_sae >= 1, k >= 1")
        if not (self.l1_coeff >= 0 and self.lr > 0 and self.steps >= 1 and self.batch_size >= 1):
            raise CapacityError("need l1_coeff >= 0, lr > 0, steps >= 1, batch_size >= 1")
        if (self.aux_k is not None and self.aux_k < 1) or self.aux_coeff < 0 or self.dead_steps < 1:
            raise CapacityError("need aux_k >= 1, aux_coeff >= 0, dead_steps >= 1")

    def size(self, d_in: int) -> int:
        """``d_sae`` for inputs of width ``d_in``; raises when TopK's ``k`` exceeds it."""
        d_sae = self.d_sae if self.d_sae is not None else self.expansion * d_in
        if self.kind == "topk" and self.k > d_sae:
            raise CapacityError(f"k = {self.k} exceeds d_sae = {d_sae} (d_in = {d_in})")
        return d_sae

    def auxk_size(self, d_in: int) -> int:
        """Dead latents AuxK uses (at most ``d_sae``)."""
        k = self.aux_k if self.aux_k is not None else 2 ** max(int(np.log2(max(d_in, 2))) - 1, 0)
        return min(k, self.size(d_in))

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SAE:
    """Trained SAEs (numpy, float32, leading instance axis ``I``) plus the input normalisation factor."""

    config: SAEConfig
    W_enc: np.ndarray  # [I, d_in, d_sae]
    b_enc: np.ndarray  # [I, d_sae]
    W_dec: np.ndarray  # [I, d_sae, d_in], unit-norm rows
    b_dec: np.ndarray  # [I, d_in]
    norm_factor: np.ndarray  # [I]  inputs are multiplied by it (sqrt(d_in) / mean ||x||)
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

    def encode(self, X: np.ndarray) -> np.ndarray:
        """Latents ``[I, N, d_sae]`` of raw inputs ``X [I, N, d_in]``."""
        import torch

        Xn = torch.from_numpy(np.asarray(X, dtype=np.float32) * self.norm_factor[:, None, None])
        with torch.no_grad():
            f, _ = _encode(self.config, Xn, torch.from_numpy(self.W_enc), torch.from_numpy(self.b_enc),
                           torch.from_numpy(self.b_dec))
        return f.numpy()

    def decode(self, F: np.ndarray) -> np.ndarray:
        """Reconstruction in the raw input space ``[I, N, d_in]``."""
        xn = np.einsum("inj,ijd->ind", F, self.W_dec) + self.b_dec[:, None]
        return xn / self.norm_factor[:, None, None]

    def metrics(self, X: np.ndarray) -> dict:
        """Per instance on ``X [I, N, d_in]``: ``fvu``, ``l0``, ``dead_frac`` (arrays of length I) and
        ``frequency`` (``[I, d_sae]``: share of examples on which each latent fires)."""
        X = np.asarray(X, dtype=np.float64)
        F = self.encode(X)
        Xh = self.decode(F)
        resid = ((X - Xh) ** 2).sum(axis=(1, 2))
        total = ((X - X.mean(axis=1, keepdims=True)) ** 2).sum(axis=(1, 2))
        active = F > 0
        return {"fvu": resid / np.maximum(total, 1e-30), "l0": active.sum(axis=2).mean(axis=1),
                "dead_frac": (~active.any(axis=1)).mean(axis=1), "frequency": active.mean(axis=1)}

    def select(self, idx) -> SAE:
        """The SAEs of the given instance indices."""
        idx = np.atleast_1d(idx)
        return SAE(self.config, self.W_enc[idx], self.b_enc[idx], self.W_dec[idx], self.b_dec[idx],
                   self.norm_factor[idx], self.seconds)

    def save(self, folder, instance: int = 0, **metadata) -> Path:
        """Write one instance as SAELens files: ``cfg.json`` + ``sae_weights.safetensors`` (normalisation
        folded into the weights; ``metadata`` such as ``hook_name``, ``model_name`` goes into ``cfg.json``)."""
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        s = float(self.norm_factor[instance])
        weights = {"W_enc": self.W_enc[instance] * s, "b_enc": self.b_enc[instance],
                   "W_dec": self.W_dec[instance] / s, "b_dec": self.b_dec[instance] / s}
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in weights.items()},
                  str(folder / "sae_weights.safetensors"))
        topk = self.config.kind == "topk"
        cfg = {"architecture": "topk" if topk else "standard", "d_in": self.d_in, "d_sae": self.d_sae,
               "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
               "normalize_activations": "none", "activation_fn_str": "topk" if topk else "relu",
               "activation_fn_kwargs": {"k": self.config.k} if topk else {},
               **({"k": self.config.k} if topk else {}),
               "metadata": dict(metadata), **metadata,
               "capacity_sae_config": self.config.to_dict()}
        (folder / "cfg.json").write_text(json.dumps(cfg, indent=1) + "\n")
        return folder


def load_sae(folder) -> SAE:
    """Read ``cfg.json`` + ``sae_weights.safetensors`` (SAELens names) as a one-instance :class:`SAE`."""
    from safetensors.numpy import load_file

    folder = Path(folder)
    try:
        cfg = json.loads((folder / "cfg.json").read_text())
        w = load_file(str(folder / "sae_weights.safetensors"))
    except (OSError, ValueError) as exc:
        raise CapacityError(f"cannot read an SAE from {folder}: {exc}") from None
    arch = cfg.get("architecture")
    if arch not in ("topk", "standard") or cfg.get("normalize_activations", "none") != "none":
        raise CapacityError(f"{folder}: only topk/standard SAEs without activation normalisation are supported")
    k = int(cfg.get("k") or cfg.get("activation_fn_kwargs", {}).get("k") or 1)
    config = replace(SAEConfig(**cfg["capacity_sae_config"]) if "capacity_sae_config" in cfg else SAEConfig(),
                     kind="topk" if arch == "topk" else "l1", k=k, d_sae=int(cfg["d_sae"]))
    W_dec = w["W_dec"].astype(np.float32)
    return SAE(config, w["W_enc"][None].astype(np.float32), w["b_enc"][None].astype(np.float32), W_dec[None],
               w["b_dec"][None].astype(np.float32), np.ones(1, dtype=np.float32))


def _encode(cfg: SAEConfig, Xn, W_enc, b_enc, b_dec):
    """``(latents, pre-activations)``."""
    import torch

    pre = torch.einsum("ind,idj->inj", Xn - b_dec[:, None], W_enc) + b_enc[:, None]
    if cfg.kind == "topk":
        val, idx = pre.topk(cfg.k, dim=-1)
        return torch.zeros_like(pre).scatter(-1, idx, torch.relu(val)), pre
    return torch.relu(pre), pre


def norm_factors(X: np.ndarray) -> np.ndarray:
    """SAELens' ``expected_average_only_in`` factor per instance of ``X [I, N, d]``: ``sqrt(d) / mean ||x||``."""
    mean_norm = np.linalg.norm(X, axis=2).mean(axis=1)
    return np.where(mean_norm > 0, np.sqrt(X.shape[2]) / np.where(mean_norm > 0, mean_norm, 1), 1.0).astype(
        np.float32)


def train_saes(X: np.ndarray, config: SAEConfig = SAEConfig(), *, seeds=None, progress: bool = True,
               desc: str = "SAE") -> SAE:
    """Train one SAE per instance of ``X [I, N, d_in]`` (or one SAE for ``X [N, d_in]``), all at once.

    ``seeds`` (one per instance) seeds each instance's initialisation separately, so one batch can hold several
    SAE seeds of the same data; by default every instance starts from ``config.seed``'s draw."""
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
    factor = norm_factors(X)
    Xn = torch.from_numpy(X * factor[:, None, None])

    gen = torch.Generator().manual_seed(config.seed)
    if seeds is None:
        W_dec = torch.randn(n_inst, d_sae, d_in, generator=gen)
    else:
        if len(seeds) != n_inst:
            raise CapacityError(f"need one seed per instance: {len(seeds)} seeds for {n_inst} instances")
        W_dec = torch.stack([torch.randn(d_sae, d_in, generator=torch.Generator().manual_seed(int(s)))
                             for s in seeds])
    W_dec /= W_dec.norm(dim=-1, keepdim=True)
    W_dec.requires_grad_(True)
    W_enc = W_dec.detach().transpose(1, 2).clone().requires_grad_(True)
    b_enc = torch.zeros(n_inst, d_sae, requires_grad=True)
    b_dec = torch.zeros(n_inst, d_in, requires_grad=True)
    opt = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=config.lr)
    bs = min(config.batch_size, N)
    ar = torch.arange(n_inst)[:, None]
    use_aux = config.kind == "topk" and config.auxk and config.aux_coeff > 0
    aux_k = config.auxk_size(d_in)
    idle = torch.zeros(n_inst, d_sae)  # steps since each latent last fired
    bar = tqdm(range(config.steps), desc=desc, disable=not progress, leave=False)
    for step in bar:
        idx = torch.randint(N, (n_inst, bs), generator=gen)
        xb = Xn[ar, idx]  # [I, bs, d_in]
        f, pre = _encode(config, xb, W_enc, b_enc, b_dec)
        xh = torch.einsum("inj,ijd->ind", f, W_dec) + b_dec[:, None]
        loss = ((xh - xb) ** 2).sum(-1).mean(-1).sum()
        if config.kind == "l1":
            loss = loss + config.l1_coeff * f.sum(-1).mean(-1).sum()
        with torch.no_grad():
            idle = torch.where((f > 0).any(dim=1), 0.0, idle + 1)
        if use_aux:
            dead = idle >= config.dead_steps  # [I, d_sae]
            if bool(dead.any()):
                err = (xb - xh).detach()
                masked = torch.where(dead[:, None, :], pre, torch.full_like(pre, -torch.inf))
                val, ind = masked.topk(aux_k, dim=-1)
                f_aux = torch.zeros_like(pre).scatter(-1, ind, torch.relu(torch.nan_to_num(val, neginf=0.0)))
                e_hat = torch.einsum("inj,ijd->ind", f_aux, W_dec)
                weight = (dead.sum(-1) / aux_k).clamp(max=1.0)  # [I]
                err_var = ((err - err.mean(1, keepdim=True)) ** 2).sum(-1).mean(-1).clamp_min(1e-12)
                aux = ((e_hat - err) ** 2).sum(-1).mean(-1) / err_var  # normalised MSE, as Gao et al.
                loss = loss + config.aux_coeff * (weight * aux).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            W_dec /= W_dec.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item() / n_inst:.4f}")
    return SAE(config, W_enc.detach().numpy().copy(), b_enc.detach().numpy().copy(),
               W_dec.detach().numpy().copy(), b_dec.detach().numpy().copy(), factor, time.perf_counter() - t0)


def train_saes_loop(X: np.ndarray, config: SAEConfig = SAEConfig(), *, progress: bool = False) -> SAE:
    """The same SAEs trained one instance at a time (the benchmark's baseline for :func:`train_saes`)."""
    t0 = time.perf_counter()
    parts = [train_saes(X[i:i + 1], config, progress=progress) for i in range(len(X))]
    cat = {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("W_enc", "b_enc", "W_dec", "b_dec",
                                                                       "norm_factor")}
    return SAE(config, seconds=time.perf_counter() - t0, **cat)
