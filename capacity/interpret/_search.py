"""Targets (Boolean functions given by weights) and the exact searches over literal sets.

A *target* is a Boolean function of ``m`` Boolean variables given by weights: a network output
(``y >= 0``), a hidden unit (``z > 0`` for relu, ``z >= 0`` for step), or a linear threshold over Boolean
variables (cascading). Each target offers

* ``fires(X)``: exact values at the rows of ``X``;
* ``roles()``: per variable, from the *signs of the weights on every path* to the target: ``+1``
  (excitatory: the target's pre-activation never decreases when the variable turns on, whatever the other
  variables are), ``-1`` (inhibitory), ``2`` (mixed) or ``0`` (silent: the target does not depend on it).
  This holds because relu and step are non-decreasing, so a product of path signs fixes the direction;
* ``bounds(X, allowed, kmax)``: floating intervals of the pre-activation over every completion of each row by
  at most ``kmax`` more variables from ``allowed`` (interval propagation). Used only to *prune* searches, with
  a safety slack far above float64 rounding, so pruning never drops a set that could matter.

:func:`minimal_sets` finds, exactly, every minimal set ``T`` of pool variables such that the target at
``base + T`` is on (or off), breadth first in canonical order; :func:`alternating_terms` builds the terms of
the threshold reading (see :mod:`capacity.interpret` for the derivation and the proof that it is exact).
"""

from __future__ import annotations

import numpy as np

from ..errors import CapacityError
from ._exact import as_fraction
from ._exact import fires as _fires

__all__ = [
    "EXCITATORY",
    "INHIBITORY",
    "MIXED",
    "SILENT",
    "Budget",
    "BudgetExceeded",
    "NetTarget",
    "ThresholdTarget",
    "alternating_terms",
    "minimal_sets",
]

SILENT, EXCITATORY, INHIBITORY, MIXED = 0, 1, -1, 2
_CHUNK_CELLS = 1 << 22


class BudgetExceeded(CapacityError):
    """An extraction search needed more evaluations (or terms) than its budget allows."""


class Budget:
    """Counts exact point evaluations and terms; raises :class:`BudgetExceeded` past the limits."""

    def __init__(self, max_evaluations: int, max_terms: int):
        self.max_evaluations, self.max_terms = int(max_evaluations), int(max_terms)
        self.evaluations = 0

    def charge(self, k: int) -> None:
        self.evaluations += int(k)
        if self.evaluations > self.max_evaluations:
            raise BudgetExceeded(f"extraction needed more than {self.max_evaluations} exact evaluations")


def _combine(S: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Monotonicity types after a layer with weight signs ``S`` (u x h) over types ``T`` (h x m)."""
    Sp, Sn = (S > 0).astype(np.int64), (S < 0).astype(np.int64)
    Tp, Tn, Tm = (T == 1).astype(np.int64), (T == -1).astype(np.int64), (T == MIXED).astype(np.int64)
    pos = (Sp @ Tp + Sn @ Tn) > 0
    neg = (Sp @ Tn + Sn @ Tp) > 0
    mix = ((Sp + Sn) @ Tm) > 0
    return np.where(mix | (pos & neg), MIXED, np.where(pos, EXCITATORY, np.where(neg, INHIBITORY, SILENT)))


def _topk_sum(G: np.ndarray, kmax: np.ndarray, largest: bool) -> np.ndarray:
    """Sum of the ``kmax[r]`` largest positive (or most negative) entries of each ``G[r, u, :]``."""
    if largest:
        V = -np.sort(-np.maximum(G, 0.0), axis=2)
    else:
        V = np.sort(np.minimum(G, 0.0), axis=2)
    C = np.concatenate([np.zeros(V.shape[:2] + (1,)), np.cumsum(V, axis=2)], axis=2)
    k = np.minimum(kmax, V.shape[2])
    return np.take_along_axis(C, k[:, None, None].repeat(V.shape[1], axis=1), axis=2)[:, :, 0]


class NetTarget:
    """Unit ``index`` of ``layer`` of a network (``layer == depth``: output ``index``)."""

    def __init__(self, network, layer: int, index: int):
        self.network, self.layer, self.index = network, int(layer), int(index)
        self.m = network.d_in
        depth = len(network.layers) - 1
        self.strict = self.layer < depth and network.activation == "relu"
        self._layers = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64))
                        for W, b in network.layers[: self.layer]]
        W, b = network.layers[self.layer]
        self._row = (np.asarray(W[self.index], dtype=np.float64), float(b[self.index]))
        hmax = 1.0
        for Wl, bl in self._layers:
            hmax = float(np.abs(Wl).sum(axis=1).max(initial=0) * hmax + np.abs(bl).max(initial=0))
            if network.activation == "step":
                hmax = 1.0
        self._slack = 1e-9 * (float(np.abs(self._row[0]).sum()) * hmax + abs(self._row[1]) + 1.0)

    def fires(self, X) -> np.ndarray:
        return _fires(self.network, X, self.layer, self.index, self.strict)

    def roles(self) -> np.ndarray:
        if not self._layers:
            return np.sign(self._row[0]).astype(np.int64)
        T = np.sign(self._layers[0][0]).astype(np.int64)
        for W, _ in self._layers[1:]:
            T = _combine(np.sign(W), T)
        return _combine(np.sign(self._row[0])[None, :], T)[0]

    def bounds(self, X, allowed, kmax):
        """Intervals ``(lo, hi)`` of the pre-activation over completions (see the module docstring)."""
        X = np.asarray(X, dtype=np.float64)
        kmax = np.asarray(kmax, dtype=np.int64)
        step = self.network.activation == "step"
        if not self._layers:
            W, b = self._row[0][None, :], np.array([self._row[1]])
        else:
            W, b = self._layers[0]
        lo_parts, hi_parts = [], []
        rows = max(1, _CHUNK_CELLS // max(1, W.size))
        for s in range(0, X.shape[0], rows):
            Xc, Ac, kc = X[s:s + rows], allowed[s:s + rows], kmax[s:s + rows]
            z = Xc @ W.T + b
            G = np.where(Ac[:, None, :], W[None, :, :], 0.0)
            hi_parts.append(z + _topk_sum(G, kc, True))
            lo_parts.append(z + _topk_sum(G, kc, False))
        lo, hi = np.concatenate(lo_parts), np.concatenate(hi_parts)
        if not self._layers:
            return lo[:, 0], hi[:, 0]
        for W, b in [*self._layers[1:], (self._row[0][None, :], np.array([self._row[1]]))]:
            if step:
                hlo, hhi = (lo >= 0).astype(float), (hi >= 0).astype(float)
            else:
                hlo, hhi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
            Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
            lo, hi = hlo @ Wp.T + hhi @ Wn.T + b, hhi @ Wp.T + hlo @ Wn.T + b
        return lo[:, 0], hi[:, 0]

    @property
    def slack(self) -> float:
        return self._slack


class ThresholdTarget:
    """``[sum_i w_i a_i + bias > 0]`` (``strict``) or ``>= 0`` over Boolean variables, weights exact rationals."""

    def __init__(self, weights, bias, strict: bool):
        self.w = [as_fraction(v) for v in weights]
        self.bias = as_fraction(bias)
        self.strict = bool(strict)
        self.m = len(self.w)
        den = 1
        for f in [*self.w, self.bias]:
            den = den * f.denominator // np.gcd(den, f.denominator)
        self._wi = np.array([int(f * den) for f in self.w], dtype=object)
        self._bi = int(self.bias * den)
        self._wf = np.array([float(f) for f in self.w])
        self._slack = 1e-9 * (float(np.abs(self._wf).sum()) + abs(float(self.bias)) + 1.0)

    def fires(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.int64)
        if X.shape[0] == 0:
            return np.zeros(0, dtype=bool)
        z = X.astype(object).dot(self._wi) + self._bi
        return np.array([v > 0 if self.strict else v >= 0 for v in z], dtype=bool)

    def roles(self) -> np.ndarray:
        return np.array([1 if f > 0 else (-1 if f < 0 else 0) for f in self.w], dtype=np.int64)

    def bounds(self, X, allowed, kmax):
        X = np.asarray(X, dtype=np.float64)
        z = X @ self._wf + float(self.bias)
        G = np.where(allowed[:, None, :], self._wf[None, None, :], 0.0)
        k = np.asarray(kmax, dtype=np.int64)
        return z + _topk_sum(G, k, False)[:, 0], z + _topk_sum(G, k, True)[:, 0]

    @property
    def slack(self) -> float:
        return self._slack


def _mask(T) -> int:
    out = 0
    for i in T:
        out |= 1 << i
    return out


def minimal_sets(target, base, pool, want_on: bool, s: int, budget: Budget, prune: bool = True) -> list[tuple]:
    """Every minimal ``T`` (subset of ``pool``, disjoint from ``base``, ``|base| + |T| <= s``) such that the
    target at the point ``base + T`` is on (``want_on``) or off; ``()`` alone if ``base`` itself qualifies.

    Breadth first over sets in canonical (increasing) order, extending only sets that do not qualify and do not
    contain a found set. Every minimal set is reached: its canonical parent is a proper subset, so it does not
    qualify and (being a subset of a minimal set) contains no found set; pruning by :meth:`bounds` only drops
    sets none of whose completions can qualify."""
    base = tuple(sorted(base))
    bset = set(base)
    pool = sorted(j for j in pool if j not in bset)
    m = target.m
    pool_arr = np.zeros(m, dtype=bool)
    pool_arr[pool] = True
    found: list[tuple] = []
    found_masks: list[int] = []
    level: list[tuple] = [()]
    while level:
        k = len(level)
        budget.charge(k)
        X = np.zeros((k, m), dtype=np.int8)
        if base:
            X[:, list(base)] = 1
        for r, T in enumerate(level):
            if T:
                X[r, list(T)] = 1
        on = target.fires(X)
        qualifies = on if want_on else ~on
        new_found, ext = [], []
        for T, q in zip(level, qualifies):
            tm = _mask(T)
            if any((fm & ~tm) == 0 for fm in found_masks):
                continue  # contains a smaller qualifying set: neither minimal nor worth extending
            if q:
                new_found.append(T)
            elif len(base) + len(T) < s:
                ext.append(T)
        for T in new_found:
            found.append(T)
            found_masks.append(_mask(T))
        if not ext:
            break
        # candidate extensions: pool variables above max(T)
        kmax = np.array([s - len(base) - len(T) for T in ext], dtype=np.int64)
        starts = [T[-1] + 1 if T else 0 for T in ext]
        keep = np.ones(len(ext), dtype=bool)
        if prune:
            Xe = np.zeros((len(ext), m), dtype=np.int8)
            allowed = np.zeros((len(ext), m), dtype=bool)
            if base:
                Xe[:, list(base)] = 1
            for r, (T, st) in enumerate(zip(ext, starts)):
                if T:
                    Xe[r, list(T)] = 1
                allowed[r, st:] = pool_arr[st:]
            lo, hi = target.bounds(Xe, allowed, kmax)
            sl = target.slack
            if want_on:
                keep = hi >= -sl
            else:
                keep = lo <= sl
        nxt = []
        for T, st, kp in zip(ext, starts, keep):
            if not kp:
                continue
            for j in pool:
                if j >= st:
                    nxt.append(T + (j,))
        level = nxt
    return found


def alternating_terms(target, s: int, budget: Budget, prune: bool = True) -> dict[tuple, list[tuple]]:
    """The terms of the threshold reading: ``{P: [J, ...]}`` (clause ``P``, minimal inhibiting sets ``J``).

    Clauses start as the minimal firing sets over excitatory and mixed variables; each clause's inhibitors are
    the minimal sets of inhibitory and mixed variables that switch it off; each (clause, inhibitor) pair
    spawns the clauses ``P + J + K`` for the minimal excitatory/mixed ``K`` that switch it back on."""
    roles = target.roles()
    EM = [j for j in range(target.m) if roles[j] in (EXCITATORY, MIXED)]
    IM = [j for j in range(target.m) if roles[j] in (INHIBITORY, MIXED)]
    queue = list(minimal_sets(target, (), EM, True, s, budget, prune))
    terms: dict[tuple, list[tuple]] = {}
    qi = 0
    while qi < len(queue):
        P = tuple(sorted(queue[qi]))
        qi += 1
        if P in terms:
            continue
        if len(terms) >= budget.max_terms:
            raise BudgetExceeded(f"extraction produced more than {budget.max_terms} terms")
        inh = minimal_sets(target, P, IM, False, s, budget, prune)
        terms[P] = [tuple(sorted(J)) for J in inh]
        for J in terms[P]:
            PJ = tuple(sorted(P + J))
            for K in minimal_sets(target, PJ, EM, True, s, budget, prune):
                queue.append(tuple(sorted(PJ + K)))
    return terms
