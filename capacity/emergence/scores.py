"""Scores of SAE latents against category labels, categorical features and category presence.

For latent ``j`` and category ``c`` (activations ``F [N, d_sae]``, labels ``y [N]``):

* **purity**: the share of label ``c`` among the ``top_n`` examples where ``j`` is largest (only examples where
  ``j`` is active count; a latent active nowhere has purity 0);
* **AUROC**: the latent's activation as a detector of ``c`` (rank formula, ties averaged; equals
  ``sklearn.metrics.roc_auc_score``);
* **selectivity**: ``(mean on c - mean on the rest) / pooled std``;
* **frequency**: the share of examples where ``j`` is active.

A latent is a *categorical feature* of ``c`` when purity >= ``purity_min``, AUROC >= ``auroc_min`` and
frequency >= ``freq_min``. **Presence** ``P(c)`` = the best purity among latents that pass the AUROC and
frequency floors (0 if none), so ``P(c) >= purity_min`` exactly when ``c`` has a categorical feature.
The paper's scores and thresholds are unknown: **all thresholds here are ours** (:class:`ScoreConfig`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..errors import CapacityError

__all__ = ["CategoryScores", "ScoreConfig", "auroc", "auroc_loop", "purity", "score_latents", "selectivity"]


@dataclass(frozen=True)
class ScoreConfig:
    """Thresholds for categorical features and emergence (all ours).

    Args:
        top_n: examples per latent for purity.
        purity_min: purity a categorical feature needs (also the presence threshold tau).
        auroc_min: AUROC a categorical feature needs.
        freq_min: minimum firing frequency (ignores latents that fire on a handful of examples).
        absent_max: presence below this counts as "gone" for reactivation (tau_low).
        persist: emergence needs presence >= tau at this many consecutive checkpoints (0 = all remaining).
        seed: unused by the scores (deterministic); kept so every config records a seed.
    """

    top_n: int = 20
    purity_min: float = 0.8
    auroc_min: float = 0.9
    freq_min: float = 0.01
    absent_max: float = 0.6
    persist: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.top_n < 1 or self.persist < 0:
            raise CapacityError("need top_n >= 1 and persist >= 0")
        for name in ("purity_min", "auroc_min", "freq_min", "absent_max"):
            if not 0 <= getattr(self, name) <= 1:
                raise CapacityError(f"{name} must lie in [0, 1]")
        if self.absent_max > self.purity_min:
            raise CapacityError("absent_max must not exceed purity_min")

    def to_dict(self) -> dict:
        return asdict(self)


def _check(F, labels, n_categories):
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(labels)
    if F.ndim != 2 or y.shape != (F.shape[0],):
        raise CapacityError(f"need activations [N, d_sae] and labels [N], got {F.shape} and {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_categories):
        raise CapacityError(f"labels must lie in [0, {n_categories})")
    return F, y


def auroc(F, labels, n_categories: int) -> np.ndarray:
    """AUROC ``[d_sae, K]`` of every latent for every category, vectorised via average ranks.

    ``AUROC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)`` with ``R_pos`` the rank sum of the positives
    (Mann-Whitney). A category with no positives or no negatives gets 0.5."""
    from scipy.stats import rankdata

    F, y = _check(F, labels, n_categories)
    R = rankdata(F, axis=0)  # [N, J], ties -> average rank
    onehot = (y[:, None] == np.arange(n_categories)[None]).astype(np.float64)  # [N, K]
    n_pos = onehot.sum(0)
    n_neg = len(y) - n_pos
    rsum = R.T @ onehot  # [J, K]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (rsum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    out[:, (n_pos == 0) | (n_neg == 0)] = 0.5
    return out


def auroc_loop(F, labels, n_categories: int) -> np.ndarray:
    """The same AUROC with ``sklearn.metrics.roc_auc_score`` one latent and category at a time (baseline)."""
    from sklearn.metrics import roc_auc_score

    F, y = _check(F, labels, n_categories)
    out = np.full((F.shape[1], n_categories), 0.5)
    for c in range(n_categories):
        t = y == c
        if t.all() or not t.any():
            continue
        for j in range(F.shape[1]):
            out[j, c] = roc_auc_score(t, F[:, j])
    return out


def purity(F, labels, n_categories: int, top_n: int = 20) -> np.ndarray:
    """Purity ``[d_sae, K]``: label shares among each latent's ``top_n`` largest *active* examples."""
    F, y = _check(F, labels, n_categories)
    n = min(top_n, F.shape[0])
    order = np.argsort(-F, axis=0, kind="stable")[:n]  # [n, J]
    top_vals = np.take_along_axis(F, order, axis=0)
    active = top_vals > 0
    counts = active.sum(0)  # [J]
    out = np.zeros((F.shape[1], n_categories))
    for c in range(n_categories):
        out[:, c] = ((y[order] == c) & active).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts[:, None] > 0, out / np.maximum(counts[:, None], 1), 0.0)
    return out


def selectivity(F, labels, n_categories: int) -> np.ndarray:
    """``(mean on c - mean on rest) / pooled std`` ``[d_sae, K]`` (0 where the pooled std is 0)."""
    F, y = _check(F, labels, n_categories)
    out = np.zeros((F.shape[1], n_categories))
    for c in range(n_categories):
        a, b = F[y == c], F[y != c]
        if len(a) < 2 or len(b) < 2:
            continue
        pooled = np.sqrt(((len(a) - 1) * a.var(0, ddof=1) + (len(b) - 1) * b.var(0, ddof=1)) / (len(a) + len(b) - 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, c] = np.where(pooled > 0, (a.mean(0) - b.mean(0)) / np.where(pooled > 0, pooled, 1), 0.0)
    return out


@dataclass(frozen=True)
class CategoryScores:
    """All scores of one SAE on one labelled set; arrays ``[d_sae, K]`` except ``frequency [d_sae]``."""

    purity: np.ndarray
    auroc: np.ndarray
    selectivity: np.ndarray
    frequency: np.ndarray
    config: ScoreConfig

    @property
    def categorical(self) -> np.ndarray:
        """Boolean ``[d_sae, K]``: which latents are categorical features of which category."""
        c = self.config
        return (self.purity >= c.purity_min) & (self.auroc >= c.auroc_min) & \
            (self.frequency[:, None] >= c.freq_min)

    @property
    def presence(self) -> np.ndarray:
        """``P(c)`` ``[K]``: best purity over latents passing the AUROC and frequency floors (0 if none)."""
        c = self.config
        ok = (self.auroc >= c.auroc_min) & (self.frequency[:, None] >= c.freq_min)
        return np.where(ok, self.purity, 0.0).max(axis=0) if len(self.purity) else np.zeros(self.purity.shape[1])

    @property
    def best_latent(self) -> np.ndarray:
        """``[K]``: the latent attaining the presence of each category (-1 if none qualifies)."""
        c = self.config
        ok = (self.auroc >= c.auroc_min) & (self.frequency[:, None] >= c.freq_min)
        val = np.where(ok, self.purity, -1.0)
        return np.where(val.max(axis=0) >= 0, val.argmax(axis=0), -1)


def score_latents(F, labels, n_categories: int, config: ScoreConfig = ScoreConfig()) -> CategoryScores:
    """Every score of latents ``F [N, d_sae]`` against ``labels`` (see module doc)."""
    F, y = _check(F, labels, n_categories)
    return CategoryScores(purity(F, y, n_categories, config.top_n), auroc(F, y, n_categories),
                          selectivity(F, y, n_categories), (F > 0).mean(axis=0), config)
