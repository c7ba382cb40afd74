"""Emergence rules over time (checkpoints), scale (sizes) and space (layers), and feature matching.

* **Time** (:func:`emergence_time`): for a presence curve ``P[t]`` over checkpoint steps and a threshold
  ``tau``: the *first crossing* (first step with ``P >= tau``), the *emergence step* (first step from which
  ``P >= tau`` holds for ``persist`` consecutive checkpoints, or for all remaining ones when ``persist = 0``,
  the default), and the *dips*: maximal runs of checkpoints with ``P < tau`` after the first crossing
  (a run reaching the last checkpoint is a dip that never recovered).
* **Scale** (:func:`emergence_scale`): the same rule over sizes ordered by parameter count, on presence at
  the final checkpoint: the smallest size from which the category stays present for every larger size.
* **Space** (:func:`detect_reactivation`): a layer profile ``P[l]`` reactivates when ``P >= tau_hi`` at some
  ``l1``, ``P < tau_lo`` at some ``l2 > l1`` and ``P >= tau_hi`` again at some ``l3 > l2``.
* **Matching** (:func:`match_features`): Hungarian assignment (``scipy.optimize.linear_sum_assignment``) of the
  latents of two SAEs maximising the summed cosine of their decoder rows.

The paper's exact rules are unknown; these definitions and their parameters are ours.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..errors import CapacityError

__all__ = ["Emergence", "detect_reactivation", "emergence_scale", "emergence_time", "match_features"]


@dataclass(frozen=True)
class Emergence:
    """Result of :func:`emergence_time`. Steps are ``None`` when the event never happens.

    ``dips`` holds ``(first_step_below, last_step_below, recovered)`` per dip."""

    first_crossing: int | None
    emergence: int | None
    dips: tuple[tuple[int, int, bool], ...]

    @property
    def n_dips(self) -> int:
        return len(self.dips)


def _curve(steps, values):
    steps = list(steps)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(steps),) or not len(steps):
        raise CapacityError(f"need one value per step, got {len(steps)} steps and shape {values.shape}")
    if any(b <= a for a, b in itertools.pairwise(steps)):
        raise CapacityError("steps must be strictly increasing")
    return steps, values


def emergence_time(steps, values, tau: float, persist: int = 0) -> Emergence:
    """First crossing, persistent emergence and dips of a presence curve (see module doc)."""
    steps, values = _curve(steps, values)
    if persist < 0:
        raise CapacityError(f"persist must be >= 0, got {persist}")
    above = values >= tau
    n = len(steps)
    first = next((i for i in range(n) if above[i]), None)
    emerg = None
    for i in range(n):
        run = above[i:] if persist == 0 else above[i:i + persist]
        if above[i] and (persist == 0 or len(run) == persist) and run.all():
            emerg = i
            break
    dips = []
    if first is not None:
        i = first
        while i < n:
            if not above[i]:
                j = i
                while j + 1 < n and not above[j + 1]:
                    j += 1
                dips.append((steps[i], steps[j], j + 1 < n))
                i = j + 1
            else:
                i += 1
    return Emergence(None if first is None else steps[first], None if emerg is None else steps[emerg], tuple(dips))


def emergence_scale(sizes, values, tau: float):
    """The smallest size (``sizes`` ordered small to large) from which ``values >= tau`` for all larger sizes;
    ``None`` when even the largest misses it."""
    sizes = list(sizes)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(sizes),):
        raise CapacityError(f"need one value per size, got {len(sizes)} sizes and shape {values.shape}")
    out = None
    for i in range(len(sizes) - 1, -1, -1):
        if values[i] >= tau:
            out = sizes[i]
        else:
            break
    return out


def detect_reactivation(profile, tau_hi: float, tau_lo: float) -> list[tuple[int, int, int]]:
    """Reactivations ``(l1, l2, l3)`` of a layer profile: ``l1`` the last present layer before a gap, ``l2``
    the weakest layer of the gap (``< tau_lo``), ``l3`` the first present layer after it. Gaps that never drop
    below ``tau_lo`` (only below ``tau_hi``) do not count. An empty list means no reactivation."""
    p = np.asarray(profile, dtype=float)
    if p.ndim != 1:
        raise CapacityError("a layer profile is one value per layer")
    if tau_lo > tau_hi:
        raise CapacityError("tau_lo must not exceed tau_hi")
    present = np.flatnonzero(p >= tau_hi)
    out = []
    for a, b in itertools.pairwise(present):
        if b - a < 2:
            continue
        gap = np.arange(a + 1, b)
        l2 = int(gap[np.argmin(p[gap])])
        if p[l2] < tau_lo:
            out.append((int(a), l2, int(b)))
    return out


def match_features(W_dec_a, W_dec_b):
    """Hungarian matching of decoder rows ``[d_sae_a, d]`` and ``[d_sae_b, d]`` by cosine similarity.

    Returns ``(rows, cols, cosines)``: latent ``rows[i]`` of A is matched to ``cols[i]`` of B with cosine
    ``cosines[i]``; ``min(d_sae_a, d_sae_b)`` pairs, maximising the summed cosine."""
    from scipy.optimize import linear_sum_assignment

    A = np.asarray(W_dec_a, dtype=np.float64)
    B = np.asarray(W_dec_b, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[1]:
        raise CapacityError(f"decoder matrices must be [d_sae, d] with the same d, got {A.shape} and {B.shape}")
    A = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    B = B / np.maximum(np.linalg.norm(B, axis=1, keepdims=True), 1e-12)
    cos = A @ B.T
    rows, cols = linear_sum_assignment(cos, maximize=True)
    return rows, cols, cos[rows, cols]
