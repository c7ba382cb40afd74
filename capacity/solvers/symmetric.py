"""Witnesses by imposed symmetry: look for a network that is invariant under a chosen permutation of the
inputs and of the hidden units, in a much smaller CNF than the whole question.

A pair ``(pi, sigma)`` (``pi`` permutes the inputs and maps the feature set onto itself, ``sigma`` permutes
the hidden units) asks for ``W_in[sigma j, pi i] = W_in[j, i]``, ``b_in[sigma j] = b_in[j]`` and the matching
readout equalities (:func:`capacity.solvers.sat.encode` with ``group``, which shares the bits of each orbit and
encodes each orbit of hidden values and readouts once). A model of that CNF is a network of the class; its
witness is verified exactly like any other, so SAT there answers the question. UNSAT there says nothing
about the question (a witness need not be invariant), so this module only ever returns witnesses.

Candidates (:func:`candidates`), when every input permutation maps the feature set onto itself and the units
are interchangeable (no code): conjugate pairs give the same answer (conjugating ``pi`` by an input permutation
and ``sigma`` by a unit permutation maps invariant networks onto invariant networks of the same class), so one
pair per pair of cycle types. A pair is left out when ``pi_f^o`` (``pi_f`` the induced map of the features,
``o`` the order of ``sigma``) is not the identity: the network would be invariant under ``(pi^o, id)``, so
``h(pi^o x) = h(x)``: every readout, so every feature, would take equal values at ``x`` and ``pi^o x``, i.e.
``pi_f^o = id``. The rest are tried in a fixed order (fewest orbits of ``W_in`` first, the smallest CNFs), each
within :data:`CONFLICTS` conflicts, all within :data:`TOTAL_CONFLICTS`, at most :data:`MAX_CANDIDATES` of
them: the same candidates, budgets and witness on any machine. A time limit can only make the search return
no witness. A width whose hidden patterns are too few for the point indicators (:func:`sat.too_few_patterns`)
has no witness at all, so it is skipped; so is a candidate whose fixed points need more patterns than an
invariant hidden layer has (:func:`_patterns_fit`).
"""

from __future__ import annotations

import math
import time
from functools import reduce

import numpy as np

from ..errors import CapacityError
from ..network import Network
from . import sat
from ._interrupt import deadline_timer
from .problem import Problem, verify_witness

__all__ = ["CONFLICTS", "MAX_CANDIDATES", "TOTAL_CONFLICTS", "candidates", "search"]

#: conflict budget of one candidate group
CONFLICTS = 20_000
#: at most this many candidates are tried (each costs an encoding, however few conflicts it takes)
MAX_CANDIDATES = 40
#: conflict budget of the whole search (the candidates are tried in order until it is spent): about twice the
#: most any witness of the U-AND ladders needed (25 868, step m = 9, width 6), so that a width with no
#: invariant witness (the refutations) pays little for the try
TOTAL_CONFLICTS = 60_000


def _partitions(n: int, largest: int | None = None):
    """The partitions of ``n``, largest parts first, in decreasing lexicographic order."""
    if n == 0:
        yield ()
        return
    for k in range(min(n, n if largest is None else largest), 0, -1):
        for rest in _partitions(n - k, k):
            yield (k,) + rest


def _cycles(parts) -> tuple:
    """The permutation with cycles of the given lengths on consecutive indices (``i -> i + 1`` within a cycle)."""
    perm, start = [], 0
    for c in parts:
        perm += list(range(start + 1, start + c)) + [start]
        start += c
    return tuple(perm)


def _order(perm) -> int:
    """The order of a permutation given as a sequence of images."""
    perm, seen, out = list(perm), set(), 1
    for i in range(len(perm)):
        length, k = 0, i
        while k not in seen:
            seen.add(k)
            k, length = perm[k], length + 1
        if length:
            out = out * length // math.gcd(out, length)
    return out


def _cycle_count(perm) -> int:
    """The number of cycles of a permutation given as an array of images."""
    seen, count = np.zeros(len(perm), bool), 0
    for i in range(len(perm)):
        if not seen[i]:
            count += 1
            while not seen[i]:
                seen[i], i = True, perm[i]
    return count


def _patterns_fit(problem: Problem, pi, sigma, ind=None) -> bool:
    """A necessary condition for a ``(pi, sigma)``-invariant witness when some features are step-unit point
    indicators (rule 6's count on a subspace): such a network has ``h_{sigma j}(pi x) = h_j(x)``, so a point
    fixed by ``pi^k`` has a hidden pattern constant on the cycles of ``sigma^k``, one of ``2^c`` with ``c`` their
    number; the indicator points fixed by ``pi^k`` need distinct ones, different again from any other fixed
    point's; and orbit by orbit, the indicator points of each orbit of size ``s`` need an orbit of exactly ``s``
    patterns of their own. A candidate failing it has an unsatisfiable CNF, so :func:`search` skips it without a
    change of answer. ``ind``: :func:`sat.indicator_mask`, when already at hand."""
    ind = sat.indicator_mask(problem) if ind is None else ind
    if not ind.any():
        return True
    pts = problem.domain.points
    moved = np.empty_like(pts)
    moved[:, list(pi)] = pts  # (pi x)_{pi i} = x_i
    point_map, unit_map = problem.domain.lookup(moved), np.asarray(sigma)
    pk, sk = np.arange(len(point_map)), np.arange(len(unit_map))
    period = np.zeros(len(pk), dtype=np.int64)  # each point's orbit size under pi
    exact = {}  # s -> the number of patterns whose orbit under sigma has exactly s elements
    for k in range(1, math.lcm(_order(pi), _order(sigma)) + 1):
        pk, sk = point_map[pk], unit_map[sk]
        fixed = pk == np.arange(len(pk))
        period[fixed & (period == 0)] = k
        patterns = 2 ** _cycle_count(sk)  # the patterns sigma^k fixes
        if int(ind[fixed].sum()) + bool((fixed & ~ind).any()) > patterns:
            return False
        exact[k] = patterns - sum(e for d, e in exact.items() if k % d == 0)
    # exact sizes: indicator points in one orbit of size s have distinct patterns sigma^k h, so their pattern's
    # orbit has exactly s elements, and two such orbits of points need two orbits of patterns (one more of size
    # 1 for another point pi fixes, whose pattern no indicator point may have)
    for size in np.unique(period[ind]):
        orbits = int((period[ind] == size).sum()) // size + int(size == 1 and (~ind & (period == 1)).any())
        if orbits > exact[size] // size:
            return False
    return True


def candidates(problem: Problem) -> list[tuple[tuple, tuple]]:
    """The ``(pi, sigma)`` pairs :func:`search` tries, in its order (module docstring); empty when the problem
    has a code or an input permutation that does not map the feature set onto itself."""
    if problem.code is not None or not problem.features.permutation_invariant():
        return []
    m, n = problem.domain.m, problem.d_hidden
    out = []
    for pp in _partitions(m):
        if max(pp) == 1:
            continue  # pi = id only duplicates units
        pi = _cycles(pp)
        _, pf = sat.permuted(problem, pi)
        if pf is None:
            continue
        for sp in _partitions(n):
            sigma = _cycles(sp)
            o = _order(sigma)
            power = reduce(lambda q, _: pf[q], range(o), np.arange(len(pf)))  # pi_f^o
            if (power == np.arange(len(pf))).all():
                out.append((sum(math.gcd(a, b) for a in pp for b in sp), pi, sigma))
    out.sort(key=lambda c: c[0])  # stable: ties keep the partition order
    return [(pi, sigma) for _, pi, sigma in out]


def search(problem: Problem, *, conflicts: int = CONFLICTS, total_conflicts: int = TOTAL_CONFLICTS,
           deadline: float | None = None) -> tuple[Network | None, dict]:
    """A verified witness of ``problem`` invariant under one of :func:`candidates`, or None; and an info dict
    (``group``: the pair that gave it, ``tried``, ``conflicts``). Deterministic: fixed candidates and conflict
    budgets; ``deadline`` (a :func:`time.perf_counter` value) only ever stops it without a witness."""
    from pysat.solvers import Solver

    info = {"tried": 0, "conflicts": 0, "group": None}
    if sat.too_few_patterns(problem):  # no witness exists: the candidates would only spend their budgets
        return None, {**info, "skipped": "too few hidden patterns for the point indicators"}
    ind = sat.indicator_mask(problem)
    for pi, sigma in candidates(problem)[:MAX_CANDIDATES]:
        left = total_conflicts - info["conflicts"]
        if left <= 0 or (deadline is not None and time.perf_counter() >= deadline):
            break
        if not _patterns_fit(problem, pi, sigma, ind):
            info["skipped_by_patterns"] = info.get("skipped_by_patterns", 0) + 1
            continue
        try:
            clauses, decode, _ = sat.encode(problem, group=[(pi, sigma)], deadline=deadline, tables=True)
        except CapacityError:  # a group that moves a weight to another box: not for this class
            continue
        except sat._Late:
            break
        info["tried"] += 1
        s = Solver(name="cadical195", bootstrap_with=clauses)
        timer = None if deadline is None else deadline_timer(s, "cadical195", deadline)
        try:
            s.conf_budget(min(conflicts, left))
            answer = s.solve_limited()
        finally:
            if timer is not None:
                timer.cancel()
        info["conflicts"] += int(s.accum_stats().get("conflicts", 0))
        model = s.get_model() if answer else None
        s.delete()
        if model is not None:
            net = decode(model)
            ok, reason = verify_witness(problem, net)
            if not ok:
                raise RuntimeError(f"symmetric encoding bug: the decoded witness fails verification ({reason})")
            info["group"] = {"pi": list(pi), "sigma": list(sigma)}
            return net, info
    return None, info
