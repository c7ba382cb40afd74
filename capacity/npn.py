"""Several step units counted from the function side: one decision per NPN class of Boolean functions.

With real weights the functions of ``n <= 3`` step units are ``B u not B`` (module docstring of
:mod:`capacity.threshold`), where ``B`` collects ``g1 & g2`` (``n = 2``) or ``g1 & g2 & g3``, ``g1 & (g2 | g3)``
and ``maj(g1, g2, g3)`` (``n = 3``) over threshold functions ``g_i`` in ``T``. ``T`` is closed under
complement and under input permutations and negations, so membership of ``f`` is invariant under the
``2^k k!`` input maps and under output negation (NPN). :func:`count_step_by_classes` therefore visits every
function once through a bitmap over all ``2^(2^k)`` tables, walks the NPN orbit of each unvisited one (the
smallest table of its orbit: the scan goes up), and decides that representative once by an exhaustive search
over ``T`` (:func:`_decide`); members carry a witness triple re-evaluated on every point. ``docs/counting.md``
proves each search exhaustive.

The searches work on bitsets over ``T``: ``Z[2x + v]`` holds the ``g`` with ``g(x) = v``, so "every ``g``
that agrees with ``h`` on the points ``U``" is a few word ANDs, kept as compressed lists of non-zero words.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from numba.extending import register_jitable

from ._kernels import _CACHE, _popcount

__all__ = ["ClassCount", "count_step_by_classes", "npn_orbit", "orbit_walk", "FORMS"]

_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_S6, _B63 = np.uint64(6), np.uint64(63)

#: Witness forms (``forms[i]``): the decided function ``f`` equals the form over ``T[w1], T[w2], T[w3]``.
FORMS = {0: "not computed", 1: "g1 & g2 & g3", 2: "not (g1 & g2 & g3)", 3: "g1 & (g2 | g3)",
         4: "not (g1 & (g2 | g3))", 5: "maj(g1, g2, g3)"}


# -------------------------------------------------------------------------------------------------
# orbits: a walk through the input maps by single negations and adjacent swaps


def orbit_walk(k: int):
    """The ``2^k k! - 1`` steps of a walk that visits every input map once: for each permutation (in
    Steinhaus-Johnson-Trotter order, adjacent swaps), the ``2^k`` negation patterns in Gray-code order. Returns
    ``(kinds, var)`` (kind 0 negates input ``var``, kind 1 swaps inputs ``var`` and ``var + 1``) and the masks
    the steps use: ``lo[i]`` (points with bit ``i`` clear) and ``A[i]`` (bit ``i`` set, bit ``i + 1`` clear)."""
    N = 1 << k
    swaps = []
    perm, dirs = list(range(k)), [-1] * k  # Steinhaus-Johnson-Trotter with directions
    for _ in range(math.factorial(k) - 1):
        mobile = [i for i in range(k) if 0 <= i + dirs[perm[i]] < k and perm[i + dirs[perm[i]]] < perm[i]]
        i = max(mobile, key=lambda j: perm[j])
        j = i + dirs[perm[i]]
        v = perm[i]
        perm[i], perm[j] = perm[j], perm[i]
        swaps.append(min(i, j))
        for u in range(k):
            if u > v:
                dirs[u] = -dirs[u]
    kinds, var = [], []
    for s in range(len(swaps) + 1):
        for g in range(1, N if k else 1):
            kinds.append(0)
            var.append((g & -g).bit_length() - 1)
        if s < len(swaps):
            kinds.append(1)
            var.append(swaps[s])
    lo = np.array([sum(1 << p for p in range(N) if not (p >> i) & 1) for i in range(max(k, 1))], dtype=np.uint64)
    A = np.array([sum(1 << p for p in range(N) if (p >> i) & 1 and not (p >> (i + 1)) & 1) for i in range(max(k, 1))],
                 dtype=np.uint64)
    return np.array(kinds, dtype=np.int8), np.array(var, dtype=np.int64), lo, A


@register_jitable
def _orbit_states(f, kinds, var, lo, A, out):
    """The tables reached from ``f`` by the walk: ``out[0] = f`` and ``out[t + 1]`` after step ``t``."""
    s = np.uint64(f)
    out[0] = s
    for t in range(kinds.shape[0]):
        i = var[t]
        sh = np.uint64(1) << np.uint64(i)
        if kinds[t] == 0:
            s = ((s & lo[i]) << sh) | ((s >> sh) & lo[i])
        else:
            a = A[i]
            b = a << sh
            s = (s & ~(a | b)) | ((s & a) << sh) | ((s & b) >> sh)
        out[t + 1] = s


def _npn_classes(visited, w0, w1, full, kinds, var, lo, A, reps, sizes, nrep):
    """Scan the words ``[w0, w1)`` of the bitmap ``visited`` (bit ``f`` = table ``f`` seen); each unseen table
    is the smallest of its NPN orbit: store it in ``reps[nrep]``, mark its orbit (input maps, and the complements),
    and store the orbit size (the bits newly set). Returns the new ``nrep``."""
    states = np.empty(kinds.shape[0] + 1, dtype=np.uint64)
    for w in range(w0, w1):
        while visited[w] != _ALL:
            word = ~visited[w]
            b = np.uint64(_popcount((word & (~word + _ONE)) - _ONE))
            f = (np.uint64(w) << _S6) | b
            _orbit_states(f, kinds, var, lo, A, states)
            size = 0
            for t in range(states.shape[0]):
                s = states[t]
                for u in (s, full ^ s):
                    q = u >> _S6
                    m = _ONE << (u & _B63)
                    if not visited[q] & m:
                        visited[q] |= m
                        size += 1
            reps[nrep] = f
            sizes[nrep] = size
            nrep += 1
    return nrep


def npn_orbit(f: int, k: int) -> set[int]:
    """The NPN orbit of the table ``f`` by explicit point permutations (the plain reference for the walk)."""
    import itertools

    N = 1 << k
    full = (1 << N) - 1
    out = set()
    for perm in itertools.permutations(range(k)):
        for neg in range(1 << k):
            g = 0
            for p in range(N):
                q = sum((((p >> perm[i]) & 1) << i) for i in range(k)) ^ neg
                g |= ((f >> q) & 1) << p
            out |= {g, full ^ g}
    return out


# -------------------------------------------------------------------------------------------------
# deciding one function: searches over compressed bitsets of T


@register_jitable(inline="always")
def _low(x):
    return _popcount((x & (~x + _ONE)) - _ONE)


@register_jitable
def _points(mask, out):
    n = 0
    while mask:
        out[n] = _low(mask)
        mask &= mask - _ONE
        n += 1
    return n


@register_jitable
def _agreeing(Z, h, pts, npts, w, acc):
    """The bits of word ``w`` of the set ``acc`` whose ``g`` agree with ``h`` on ``pts[:npts]``."""
    for q in range(npts):
        x = pts[q]
        acc &= Z[2 * x + np.int64((h >> np.uint64(x)) & _ONE), w]
        if acc == _ZERO:
            break
    return acc


@register_jitable
def _refine(Z, h, pts, npts, wi, ri, m, wo, ro):
    """Keep the ``g`` of the set ``(wi, ri)[:m]`` (word indices, word values) that agree with ``h`` on
    ``pts[:npts]``; the result goes to ``(wo, ro)``, its length is returned."""
    n = 0
    for c in range(m):
        acc = _agreeing(Z, h, pts, npts, wi[c], ri[c])
        if acc != _ZERO:
            wo[n] = wi[c]
            ro[n] = acc
            n += 1
    return n


@register_jitable
def _first(Z, h, pts, npts, wi, ri, m):
    """The first ``g`` of the set ``(wi, ri)[:m]`` that agrees with ``h`` on ``pts[:npts]``, or -1."""
    for c in range(m):
        acc = _agreeing(Z, h, pts, npts, wi[c], ri[c])
        if acc != _ZERO:
            return np.int64(wi[c]) * 64 + np.int64(_low(acc))
    return np.int64(-1)


@register_jitable
def _count(m, R):
    """The number of elements of a compressed set with ``m`` words ``R``."""
    n = 0
    for c in range(m):
        n += _popcount(R[c])
    return n


@register_jitable
def _constant(T, h, wit):
    """A constant ``h`` is in ``T``: the repeated triple (every form of it is ``h``)."""
    for i in range(T.shape[0]):
        if T[i] == h:
            wit[0], wit[1], wit[2] = i, i, i
            return True
    return False


@register_jitable
def _and_forms(T, Z, h, full, depth, W, WI, RI, pts, wit):
    """``h = g1 & g2`` (``depth`` 2) or ``g1 & g2 & g3`` (3) with ``g_i`` in ``T``: the ``g_i`` contain ``h``
    and their false sets cover ``h``'s false set ``F``. Some ``g_i`` is false at the first point ``p0`` of
    ``F`` (call it ``g1``); with ``depth`` 3 some other one is false at the first point ``p1`` that ``g1``
    leaves (``g2``); the last must be false on the rest. Exhaustive over ``g1`` (and ``g2``)."""
    F = full ^ h
    if F == _ZERO:
        return _constant(T, h, wit)
    n0 = _points(h, pts[0])
    m0 = _refine(Z, h, pts[0], n0, WI[0], RI[0], W, WI[1], RI[1])  # S0: every g >= h
    pts[1, 0] = _low(F)
    m1 = _refine(Z, h, pts[1], 1, WI[1], RI[1], m0, WI[2], RI[2])  # g >= h with g(p0) = 0
    for c in range(m1):
        acc = RI[2, c]
        while acc:
            g1 = np.int64(WI[2, c]) * 64 + np.int64(_low(acc))
            acc &= acc - _ONE
            U1 = F & T[g1]
            if depth == 2:
                n = _points(U1, pts[2])
                g2 = _first(Z, h, pts[2], n, WI[1], RI[1], m0)
                if g2 >= 0:
                    wit[0], wit[1], wit[2] = g1, g2, g2
                    return True
                continue
            if U1 == _ZERO:  # g1 alone is h (not reached when h in T was found first)
                wit[0], wit[1], wit[2] = g1, g1, g1
                return True
            pts[2, 0] = _low(U1)
            m2 = _refine(Z, h, pts[2], 1, WI[1], RI[1], m0, WI[3], RI[3])
            for d in range(m2):
                acc2 = RI[3, d]
                while acc2:
                    g2 = np.int64(WI[3, d]) * 64 + np.int64(_low(acc2))
                    acc2 &= acc2 - _ONE
                    n = _points(U1 & T[g2], pts[3])
                    g3 = _first(Z, h, pts[3], n, WI[1], RI[1], m0)
                    if g3 >= 0:
                        wit[0], wit[1], wit[2] = g1, g2, g3
                        return True
    return False


@register_jitable
def _and_or_form(T, Z, h, full, W, WI, RI, pts, wit):
    """``h = g1 & (g2 | g3)``: ``g1`` contains ``h``; ``g2`` and ``g3`` are false on ``E1`` (the false points of
    ``h`` where ``g1`` is true) and together true on every true point of ``h``. One of them is true at the first
    true point ``p`` of ``h`` (``g2``); the other must be true where ``g2`` misses. Exhaustive over ``g1, g2``."""
    F = full ^ h
    if h == _ZERO:
        return _constant(T, h, wit)
    n0 = _points(h, pts[0])
    m0 = _refine(Z, h, pts[0], n0, WI[0], RI[0], W, WI[1], RI[1])  # g1 >= h
    p = _low(h)
    for c in range(m0):
        acc = RI[1, c]
        while acc:
            g1 = np.int64(WI[1, c]) * 64 + np.int64(_low(acc))
            acc &= acc - _ONE
            n1 = _points(F & T[g1], pts[1])
            m1 = _refine(Z, h, pts[1], n1, WI[0], RI[0], W, WI[2], RI[2])  # g = 0 on E1
            pts[2, 0] = p
            m2 = _refine(Z, h, pts[2], 1, WI[2], RI[2], m1, WI[3], RI[3])  # ... and g(p) = 1
            for d in range(m2):
                acc2 = RI[3, d]
                while acc2:
                    g2 = np.int64(WI[3, d]) * 64 + np.int64(_low(acc2))
                    acc2 &= acc2 - _ONE
                    n = _points(h & ~T[g2], pts[3])
                    g3 = _first(Z, h, pts[3], n, WI[2], RI[2], m1)
                    if g3 >= 0:
                        wit[0], wit[1], wit[2] = g1, g2, g3
                        return True
    return False


@register_jitable
def _maj_form(T, Z, h, full, N, W, WI, RI, pts, wit, order, pc, L):
    """``h = maj(g1, g2, g3)``: the error sets ``g_i ^ h`` are pairwise disjoint. Order the three by (error
    size, index) in ``order``: the first has at most ``N // 3`` errors, the second at least as many as the first
    and ``|e1| + 2 |e2| <= N``; the third must agree with ``h`` on ``e1 | e2``. ``L[c + 1]`` is the bitset of
    the ``g`` with at most ``c`` errors. Exhaustive over ``g1, g2`` (each may be taken with a minimal error set:
    shrinking errors keeps them disjoint)."""
    for a in range(order.shape[0]):
        g1 = order[a]
        c1 = pc[g1]
        if 3 * c1 > N:
            break
        e1 = T[g1] ^ h
        if c1 > 1:  # g1 may be taken with a minimal error set: skip it if another g errs on a part of e1
            n0 = _points(full ^ e1, pts[0])
            if _count(_refine(Z, h, pts[0], n0, WI[0], RI[0], W, WI[3], RI[3]), RI[3]) > 1:
                continue
        n1 = _points(e1, pts[1])
        m1 = _refine(Z, h, pts[1], n1, WI[0], RI[0], W, WI[2], RI[2])  # agree with h on e1
        hi = (N - c1) // 2
        for d in range(m1):
            acc2 = RI[2, d] & L[hi + 1, WI[2, d]] & ~L[c1, WI[2, d]]  # c1 <= |e2| <= (N - c1) / 2
            while acc2:
                g2 = np.int64(WI[2, d]) * 64 + np.int64(_low(acc2))
                acc2 &= acc2 - _ONE
                c2 = pc[g2]
                if c2 < c1 or (c2 == c1 and g2 < g1) or c1 + 2 * c2 > N:
                    continue
                n = _points(T[g2] ^ h, pts[3])
                g3 = _first(Z, h, pts[3], n, WI[2], RI[2], m1)
                if g3 >= 0:
                    wit[0], wit[1], wit[2] = g1, g2, g3
                    return True
    return False


def _decide(reps, T, Z, N, n_units, only, forms, wits):
    """Decide each table ``reps[r]`` for ``n_units`` step units: ``forms[r]`` = the form code of :data:`FORMS`
    with witness indices ``wits[r]`` into ``T``, or 0 when every search was exhaustive and found nothing.
    ``only`` (1 to 5) runs that form's search alone (the tests check each search on its own)."""
    W = Z.shape[1]
    F_ = T.shape[0]
    full = (_ONE << np.uint64(N)) - _ONE
    WI = np.zeros((4, W), dtype=np.int64)
    RI = np.zeros((4, W), dtype=np.uint64)
    for w in range(W):
        WI[0, w] = w
        RI[0, w] = _ALL
    if F_ % 64:
        RI[0, W - 1] = (_ONE << np.uint64(F_ % 64)) - _ONE
    pts = np.zeros((4, 64), dtype=np.int64)
    wit = np.zeros(3, dtype=np.int64)
    pc = np.zeros(F_, dtype=np.int64)
    order = np.zeros(F_, dtype=np.int64)
    start = np.zeros(N + 2, dtype=np.int64)
    L = np.zeros((N + 2, W), dtype=np.uint64)
    depth = 2 if n_units == 2 else 3
    for r in range(reps.shape[0]):
        f = reps[r]
        nf = full ^ f
        forms[r] = 0
        if only == 0:
            for i in range(F_):  # f in T (or not f): the one-unit case, a repeated triple
                if T[i] == f or T[i] == nf:
                    forms[r] = 1 if T[i] == f else 2
                    wits[r, 0], wits[r, 1], wits[r, 2] = i, i, i
                    break
            if forms[r] != 0 or n_units == 1:
                continue
        if n_units == 3 and (only == 0 or only == 5):
            start[:] = 0  # counting sort of T by errors against f, for the majority search
            for i in range(F_):
                pc[i] = _popcount(T[i] ^ f)
                start[pc[i] + 1] += 1
            for c in range(N + 1):
                start[c + 1] += start[c]
            L[:] = _ZERO
            for i in range(F_):
                order[start[pc[i]]] = i
                start[pc[i]] += 1
                L[pc[i] + 1, i >> 6] |= _ONE << np.uint64(i & 63)
            for c in range(1, N + 2):
                for w in range(W):
                    L[c, w] |= L[c - 1, w]
            if _maj_form(T, Z, f, full, N, W, WI, RI, pts, wit, order, pc, L):
                forms[r] = 5
        if n_units == 3 and forms[r] == 0 and (only == 0 or only == 3):
            if _and_or_form(T, Z, f, full, W, WI, RI, pts, wit):
                forms[r] = 3
        if n_units == 3 and forms[r] == 0 and (only == 0 or only == 4):
            if _and_or_form(T, Z, nf, full, W, WI, RI, pts, wit):
                forms[r] = 4
        if forms[r] == 0 and (only == 0 or only == 1):
            if _and_forms(T, Z, f, full, depth, W, WI, RI, pts, wit):
                forms[r] = 1
        if forms[r] == 0 and (only == 0 or only == 2):
            if _and_forms(T, Z, nf, full, depth, W, WI, RI, pts, wit):
                forms[r] = 2
        if forms[r] != 0:
            wits[r, 0], wits[r, 1], wits[r, 2] = wit[0], wit[1], wit[2]


TWINS = {"orbit_states": _orbit_states, "npn_classes": _npn_classes, "decide": _decide}
_jit = njit(cache=_CACHE, nogil=True)
KERNELS = {name: _jit(fn) for name, fn in TWINS.items()}


# -------------------------------------------------------------------------------------------------
# the front door


def point_bitsets(T: np.ndarray, N: int) -> np.ndarray:
    """``Z[2x + v]`` = the bitset (words over the rows of ``T``) of the ``g`` in ``T`` with ``g(x) = v``."""
    W = (len(T) + 63) // 64
    Z = np.zeros((2 * N, W), dtype=np.uint64)
    for x in range(N):
        col = ((T >> np.uint64(x)) & _ONE).astype(bool)
        for v, sel in ((1, col), (0, ~col)):
            bits = np.zeros(W * 64, dtype=bool)
            bits[: len(T)] = sel
            Z[2 * x + v] = np.packbits(bits.reshape(W, 64)[:, ::-1], axis=1).view(">u8").ravel().astype(np.uint64)
    return Z


def evaluate_form(form: int, a, b, c, N: int):
    """The table of witness form ``form`` (:data:`FORMS`) over the tables ``a, b, c`` (integers or uint64
    arrays), on ``N`` points."""
    full = (1 << N) - 1 if isinstance(a, int) else np.uint64((1 << N) - 1)
    if form in (1, 2):
        g = a & b & c
    elif form in (3, 4):
        g = a & (b | c)
    else:
        g = (a & b) | (a & c) | (b & c)
    return full ^ g if form in (2, 4) else g


def _form_name(code: int, d_hidden: int) -> str:
    """The form's name; with fewer units the repeated ``g`` are dropped (``g1 & g2 & g2`` is ``g1 & g2``)."""
    if d_hidden < 3 and code in (1, 2):
        name = "g1" if d_hidden == 1 else "g1 & g2"
        return name if code == 1 else f"not ({name})"
    return FORMS[code]


@dataclass(frozen=True)
class ClassCount:
    """The number of functions on ``{0,1}^k`` that ``d_hidden`` step units with real weights and a step readout
    compute, found by deciding one function per NPN class (:func:`count_step_by_classes`)."""

    k: int
    d_hidden: int
    count: int
    classes: int
    member_classes: int
    thresholds: int
    seconds: float
    forms: dict = field(default_factory=dict)  # witness form -> number of classes
    reps: np.ndarray = field(default=None, repr=False, compare=False)  # smallest table of each class, sorted
    sizes: np.ndarray = field(default=None, repr=False, compare=False)
    member: np.ndarray = field(default=None, repr=False, compare=False)
    witnesses: np.ndarray = field(default=None, repr=False, compare=False)  # (form, w1, w2, w3) per class

    def to_dict(self) -> dict:
        return {"inputs": self.k, "hidden": self.d_hidden, "activation": "step", "weight_bound": "real",
                "count": self.count, "method": "npn classes", "npn_classes": self.classes,
                "member_classes": self.member_classes, "thresholds": self.thresholds,
                "forms": {_form_name(c, self.d_hidden): n for c, n in self.forms.items()},
                "seconds": round(self.seconds, 6)}

    def contains(self, f: int) -> bool:
        """Whether the table ``f`` is computed: its class representative (the smallest table of its orbit)
        was decided a member."""
        kinds, var, lo, A = orbit_walk(self.k)
        states = np.empty(len(kinds) + 1, dtype=np.uint64)
        KERNELS["orbit_states"](np.uint64(f), kinds, var, lo, A, states)
        full = np.uint64((1 << (1 << self.k)) - 1)
        rep = min(int(states.min()), int((full ^ states).min()))
        i = int(np.searchsorted(self.reps, np.uint64(rep)))
        if i >= len(self.reps) or int(self.reps[i]) != rep:
            raise AssertionError(f"table {f} has no class representative")  # the class scan missed an orbit
        return bool(self.member[i])


def npn_classes(k: int, *, backend: str = "numba", progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The smallest table of every NPN class of functions of ``k`` inputs (sorted) and each class's size, by a
    scan of all ``2^(2^k)`` tables with a visited bitmap (512 MB at ``k = 5``)."""
    from tqdm import tqdm

    kern = KERNELS if backend == "numba" else TWINS
    N = 1 << k
    kinds, var, lo, A = orbit_walk(k)
    nw = max(1, (1 << N) // 64)
    visited = np.zeros(nw, dtype=np.uint64)
    if N < 6:
        visited[0] = np.uint64(((1 << 64) - 1) ^ ((1 << (1 << N)) - 1))
    cap = {0: 2, 1: 3, 2: 6, 3: 14, 4: 222, 5: 616126}[k] * 2 + 16  # an upper bound with room (A000370 twice)
    reps = np.zeros(cap, dtype=np.uint64)
    sizes = np.zeros(cap, dtype=np.int64)
    full = np.uint64((1 << N) - 1)
    n = 0
    step = max(1, nw // 256)
    for w0 in tqdm(range(0, nw, step), desc=f"NPN classes of {k} inputs", disable=not progress):
        n = kern["npn_classes"](visited, w0, min(nw, w0 + step), full, kinds, var, lo, A, reps, sizes, n)
        if n > cap - (1 << k) * 2:
            raise AssertionError("more NPN classes than twice A000370")
    if int(sizes[:n].sum()) != 1 << N:
        raise AssertionError("the NPN orbits do not partition the tables")
    return reps[:n].copy(), sizes[:n].copy()


def count_step_by_classes(k: int, d_hidden: int, *, backend: str = "numba", threads: int | None = None,
                          chunk: int = 2048, cache: str | None = None, progress: bool = False) -> ClassCount:
    """The exact number of functions of ``d_hidden`` (1, 2 or 3) step units with real weights on ``{0,1}^k``
    (``k <= 5``), deciding one representative per NPN class (module docstring). Every member's witness is
    re-evaluated here on every point; every non-member was refuted by the exhaustive searches of ``_decide``.
    ``threads`` runs chunks of classes on threads (the answer does not depend on it); ``cache`` (a folder)
    keeps finished chunks so a killed run resumes."""
    import os
    from pathlib import Path

    from tqdm import tqdm

    from .threshold import _check_bitmap_count, threshold_tables

    _check_bitmap_count(k, d_hidden, "NPN classes")
    kern = KERNELS if backend == "numba" else TWINS
    t0 = time.perf_counter()
    N = 1 << k
    T = np.ascontiguousarray(threshold_tables(k)[:, 0])
    Z = point_bitsets(T, N)
    reps, sizes = npn_classes(k, backend=backend, progress=progress)
    n = len(reps)
    forms = np.zeros(n, dtype=np.int64)
    wits = np.zeros((n, 3), dtype=np.int64)
    folder = Path(cache) if cache else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)

    def run(a):
        b = min(n, a + chunk)
        path = folder / f"k{k}-n{d_hidden}-{a}.npz" if folder else None
        if path and path.exists():
            z = np.load(path)
            if np.array_equal(z["reps"], reps[a:b]):
                forms[a:b], wits[a:b] = z["forms"], z["wits"]
                return
        kern["decide"](reps[a:b], T, Z, N, d_hidden, 0, forms[a:b], wits[a:b])
        if path:
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, reps=reps[a:b], forms=forms[a:b], wits=wits[a:b])
            os.replace(tmp, path)

    starts = range(0, n, chunk)
    with ThreadPoolExecutor(max(1, threads or 1)) as pool:
        for _ in tqdm(pool.map(run, starts), total=len(starts), desc=f"deciding {n} classes",
                      disable=not progress):
            pass
    member = forms > 0
    m = np.nonzero(member)[0]
    got = np.zeros(len(m), dtype=np.uint64)
    for c in np.unique(forms[m]):  # every witness re-evaluated on all points
        s = forms[m] == c
        got[s] = evaluate_form(int(c), T[wits[m[s], 0]], T[wits[m[s], 1]], T[wits[m[s], 2]], N)
    if not np.array_equal(got, reps[m]):
        raise AssertionError("a witness does not reproduce its function")
    if d_hidden < 3 and np.any(forms[m] > 2):
        raise AssertionError("a form beyond the width was used")
    tally = {int(c): int(v) for c, v in zip(*np.unique(forms, return_counts=True))}
    return ClassCount(k, d_hidden, int(sizes[member].sum()), n, int(member.sum()), len(T),
                      time.perf_counter() - t0, tally, reps, sizes, member, np.column_stack([forms, wits]))
