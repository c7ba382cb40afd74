"""Polysemanticity and clause metrics for FPE (research digest, sections 2 and 5).

* :func:`feature_capacity`: Scherlis-style ``C_i = (W_i . W_i)^2 / sum_j (W_i . W_j)^2`` on the columns ``W_i`` of
  ``W_in`` (one per input feature); ``C_i = 1`` when column ``i`` is orthogonal to all others, ``1/n`` when ``n``
  columns are identical; a zero column gets ``C_i = 0`` (ours: 0/0).
* :func:`mean_pairwise_cosine`: the mean *absolute* cosine over pairs of non-zero neuron rows of ``W_in`` (ours:
  absolute, so that anti-aligned neurons also count as entangled).
* :func:`clause_collision_rate` / :func:`clause_coverage`: per parent, whether one child sees two whole clauses
  (a collision) or one whole clause (coverage).
* :func:`expected_collision` is the notes' ``alpha^-(2k-1)``: **exactly** the probability that two clauses with
  ``2k`` distinct variables lie whole in one child when every input picks one of ``alpha`` children independently
  and uniformly (``alpha * alpha^-2k``). Our random split is a *balanced* partition (block sizes ``d/alpha``), for
  which the exact value is :func:`balanced_collision` (falling factorials); the two agree as ``d`` grows.
* :func:`fold_regression`: least squares of the relative accuracy gain on a metric's fold change, with ``R^2``.
"""

from __future__ import annotations

from math import prod

import numpy as np

__all__ = [
    "balanced_collision",
    "clause_collision_rate",
    "clause_coverage",
    "expected_collision",
    "feature_capacity",
    "fold_regression",
    "mean_pairwise_cosine",
    "monte_carlo_collision",
]


def feature_capacity(W_in) -> np.ndarray:
    """``C_i`` for every input feature ``i`` (columns of ``W_in``, shape ``(d_hidden, d_in)``)."""
    W = np.asarray(W_in, dtype=np.float64)
    G = W.T @ W
    num = np.diag(G) ** 2
    den = (G**2).sum(axis=1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def mean_pairwise_cosine(W_in) -> float:
    """Mean ``|cos|`` over pairs of non-zero rows (neurons) of ``W_in``; NaN with fewer than two."""
    W = np.asarray(W_in, dtype=np.float64)
    W = W[np.linalg.norm(W, axis=1) > 0]
    if W.shape[0] < 2:
        return float("nan")
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    C = np.abs(U @ U.T)
    iu = np.triu_indices(W.shape[0], 1)
    return float(C[iu].mean())


def _children(masks, alpha):
    M = np.asarray(masks, dtype=bool)
    return M.reshape(M.shape[0] // alpha, alpha, M.shape[1])


def clause_collision_rate(masks, clauses, alpha: int) -> float:
    """Share of (parent, pair of clauses) for which some child of the parent holds every variable of both."""
    C = _children(masks, alpha)
    pairs = [(a, b) for a in range(len(clauses)) for b in range(a + 1, len(clauses))]
    if not pairs:
        return 0.0
    hits = 0
    for par in C:
        for a, b in pairs:
            v = list(set(clauses[a]) | set(clauses[b]))
            hits += bool(par[:, v].all(axis=1).any())
    return hits / (len(pairs) * C.shape[0])


def clause_coverage(masks, clauses, alpha: int) -> float:
    """Share of (parent, clause) for which some child of the parent holds the whole clause."""
    C = _children(masks, alpha)
    hits = sum(bool(par[:, list(c)].all(axis=1).any()) for par in C for c in clauses)
    return hits / (len(clauses) * C.shape[0])


def expected_collision(alpha: int, k: int) -> float:
    """The notes' ``alpha^-(2k-1)``: P(two variable-disjoint k-clauses lie whole in one child) under i.i.d.
    uniform assignment of inputs to ``alpha`` children."""
    return float(alpha) ** -(2 * k - 1)


def balanced_collision(alpha: int, k: int, d: int) -> float:
    """The same probability for a uniformly random *balanced* partition of ``d`` inputs (``alpha`` divides ``d``):
    ``alpha * (d/alpha)_(2k) / (d)_(2k)`` with falling factorials (the 2k variables fall in one block)."""
    if d % alpha:
        raise ValueError("balanced_collision needs alpha to divide d")
    s, r = d // alpha, 2 * k
    if r > s:
        return 0.0
    return alpha * prod(s - t for t in range(r)) / prod(d - t for t in range(r))


def monte_carlo_collision(alpha: int, k: int, d: int, trials: int, balanced: bool, seed: int = 0) -> float:
    """Monte-Carlo estimate: two fixed disjoint clauses (inputs ``0..k-1`` and ``k..2k-1``) and a random split;
    ``balanced`` uses our split (:func:`capacity.fpe.expand.split_random`), else i.i.d. uniform children."""
    from .expand import split_random

    rng = np.random.default_rng(seed)
    if balanced:
        A = split_random(trials, d, alpha, rng)
    else:
        A = rng.integers(0, alpha, size=(trials, d))
    both = A[:, : 2 * k]
    return float((both == both[:, :1]).all(axis=1).mean())


def fold_regression(fold, gain) -> dict:
    """Least squares ``gain = a + b * fold`` (``numpy.linalg.lstsq``); returns slope, intercept, R^2 and n."""
    x, y = np.asarray(fold, float), np.asarray(gain, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0:
        return {"slope": float("nan"), "intercept": float("nan"), "r2": float("nan"), "n": int(x.size)}
    A = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    ss_tot = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (resid**2).sum() / ss_tot if ss_tot > 0 else float("nan")
    return {"slope": float(coef[1]), "intercept": float(coef[0]), "r2": float(r2), "n": int(x.size)}
