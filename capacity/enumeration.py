"""Exact enumeration: the set of functions a class of networks represents, and its size.

For width ``n``, an optional code, an activation and integer weights in ``[-K, K]`` (optionally
non-negative; biases free), :func:`enumerate_functions` returns every distinct function ``[W_out h(x) +
b_out >= 0]`` on the domain that one readout of such a network computes (docs/design.md §4),
as sorted truth tables, and their number. :func:`count` returns only the number, which for one hidden unit
is computed from orbit representatives and so reaches sizes whose sets cannot be stored.

Symmetry pruning (counts are always of *labelled* functions on the domain):

* one hidden unit, no code: sorted weight vectors (input permutations) and, on the full cube with a
  symmetric box, non-negative weights (input negations); each canonical function is weighted by its orbit
  size (see ``proofs/check_threshold_orbits.py``);
* several units: interchangeable hidden units (identical code rows) are enumerated as multisets; step units
  without a code are taken up to complement (``h -> 1 - h`` is absorbed by the readout); ReLU readouts are
  taken up to a positive common factor (``gcd = 1``).

Real weights (``weight_bound=None``): for one unit (step or ReLU) and for step networks without a code,
real and integer weights represent the same functions once ``K >= muroga_bound(m)`` for the hidden layer and
``K >= muroga_bound(n)`` for the readout, proved in ``proofs/check_weight_bound.py``.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import permutations, product

import numpy as np

from ._kernels import KERNELS, TWINS
from .codes import Code
from .domain import Domain
from .errors import CapacityError

__all__ = ["Enumeration", "enumerate_functions", "count", "muroga_bound", "point_permutations", "predict_work",
           "MAX_LISTED_FUNCTIONS", "MAX_COUNT_BYTES", "MAX_EVALUATIONS"]

#: ``enumerate_functions`` refuses to list (not count) more functions than this.
MAX_LISTED_FUNCTIONS = 50_000_000
#: ``enumerate_functions``/``count`` refuse a call whose predicted memory (a lower bound) exceeds this.
MAX_COUNT_BYTES = 4 * 2**30
#: ... or whose scan evaluates more (integer weight vector, point) pairs than this (about half a day).
MAX_EVALUATIONS = 10**13
_MAX_STEP_WIDTH = 6  # readout tables over 2^n hidden patterns fit one uint64 word
_NONE = np.zeros(0, dtype=np.int64)


def muroga_bound(m: int) -> int:
    """``floor((m+1)^((m+1)/2) / 2^m)``: every threshold function of ``m`` inputs has integer weights of at
    most this size (Cramer's rule on a vertex of the realisation polyhedron + Hadamard's bound)."""
    if m < 0:
        raise CapacityError(f"muroga_bound needs m >= 0, got {m}")
    return math.isqrt((m + 1) ** (m + 1) // 4**m)


@dataclass(frozen=True, eq=False)
class Enumeration:
    """The exact representable set (or only its size) of a network class on a domain."""

    domain: Domain
    d_hidden: int
    activation: str
    weight_bound: int | None
    nonnegative: bool
    count: int
    tables: np.ndarray | None
    weight_bound_used: int
    method: str
    seconds: float
    code: Code | None = None

    def to_dict(self) -> dict:
        return {
            "count": self.count, "inputs": self.domain.m, "sparsity": self.domain.sparsity,
            "hidden": self.d_hidden, "activation": self.activation,
            "weight_bound": "real" if self.weight_bound is None else self.weight_bound,
            "weight_bound_used": self.weight_bound_used, "nonnegative": self.nonnegative,
            "domain_size": self.domain.size, "method": self.method, "seconds": round(self.seconds, 6),
            "code": None if self.code is None else self.code.to_dict(),
        }

    def to_frame(self):
        """One row per representable function (needs ``tables``, i.e. ``enumerate_functions(..., tables=True)``).

        Columns: ``function`` (row index), ``truth_table`` (a '0'/'1' string, one character per domain point in
        ``domain.points`` order), ``ones`` (points mapped to 1)."""
        import pandas as pd

        if self.tables is None:
            raise CapacityError("this enumeration holds only the count; use enumerate_functions(..., tables=True)")
        bits = self.domain.unpack(self.tables)
        return pd.DataFrame({"function": np.arange(len(bits)),
                             "truth_table": ["".join("1" if b else "0" for b in row) for row in bits],
                             "ones": bits.sum(axis=1)})


def _kernels(backend: str):
    if backend == "numba":
        return KERNELS
    if backend == "python":
        return TWINS
    raise CapacityError(f"backend must be 'numba' or 'python', got {backend!r}")


def _run(fn, jobs, threads, progress, desc, stop=None, absorb=None, on_abort=None):
    """Run ``fn(*job)`` for every job on ``threads`` threads (the kernels release the GIL) and return the
    results in job order. Once ``stop()`` is true, jobs not yet started are cancelled and the results end at
    the first cancelled job. With ``absorb``, each result is handed to ``absorb`` in job order instead of being
    kept; if it (or anything, e.g. Ctrl-C) raises, ``on_abort()`` is called (to set the running kernels' stop
    flags), the jobs not yet started are cancelled and the error propagates."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(jobs), desc=desc, disable=not progress, leave=False, delay=1.0)
    out = []
    with np.errstate(over="ignore"), ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        try:
            for fut in futures:
                if stop is not None and stop():
                    for f in futures:
                        f.cancel()
                    stop = None  # once is enough (a later check would cost len(futures) per job)
                if fut.cancelled():
                    break
                if absorb is None:
                    out.append(fut.result())
                else:
                    absorb(fut.result())
                bar.update(1)
        except BaseException:
            if on_abort is not None:
                on_abort()
            for f in futures:
                f.cancel()
            raise
    bar.close()
    return out


def _unique_rows(parts, L) -> np.ndarray:
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros((0, L), dtype=np.uint64)
    allrows = np.ascontiguousarray(np.vstack(parts))
    return np.unique(allrows, axis=0)


def point_permutations(domain: Domain, negations: bool) -> np.ndarray:
    """Point permutations of the input symmetry group: all ``m!`` input permutations, times all ``2^m``
    negations when ``negations``. Row ``g`` maps image point ``p`` to source point ``perms[g, p]``."""
    pts = domain.points.astype(np.int64)
    out = [domain.lookup(pts[:, list(pi)] ^ np.array(a))
           for pi in permutations(range(domain.m))
           for a in (product((0, 1), repeat=domain.m) if negations else [(0,) * domain.m])]
    return np.array(out, dtype=np.int64)


def _transpositions(domain: Domain):
    m = domain.m
    pts = domain.points.astype(np.int64)
    swaps, flips = [], []
    for i in range(m):
        for j in range(i + 1, m):
            src = pts.copy()
            src[:, [i, j]] = src[:, [j, i]]
            swaps.append(domain.lookup(src))
    for i in range(m):
        src = pts.copy()
        src[:, i] ^= 1
        flips.append(domain.lookup(src) if domain.is_cube else np.zeros(len(src), dtype=np.int64))
    swaps = np.array(swaps, dtype=np.int64).reshape(-1, domain.size)
    return swaps, np.array(flips, dtype=np.int64).reshape(m, domain.size)


# -------------------------------------------------------------------------------------------------
# one hidden unit: canonical scan + orbit sizes


def _dual(tables, domain):
    """``x -> not f(not x)`` on the full cube: point ``p`` maps to ``N-1-p``."""
    bits = domain.unpack(tables)
    return domain.pack(~bits[:, ::-1])


def _canonical(domain, K, nonnegative, kern, threads, progress):
    """The canonical functions of one unit with weights in the box (one per orbit, see the module docstring),
    sorted, and whether input negations are symmetries."""
    m, L = domain.m, domain.words
    flips = domain.is_cube and not nonnegative
    lo = 0 if (flips or nonnegative) else -K
    X = domain.points.astype(np.int64)
    if m >= 2:
        prefixes = np.array([(a, b) for a in range(K, lo - 1, -1) for b in range(a, lo - 1, -1)], dtype=np.int64)
    else:
        prefixes = np.arange(K, lo - 1, -1, dtype=np.int64).reshape(-1, 1)
    n_chunks = min(len(prefixes), 8 * threads)
    jobs = [(X, lo, K, np.ascontiguousarray(prefixes[c::n_chunks]), L, flips) for c in range(n_chunks)]
    found = _run(kern["scan_sorted"], jobs, threads, progress, "canonical units")
    extra = [np.zeros((1, L), np.uint64)]  # the constant 0 is never a cut
    if flips:  # the scan kept one of each dual pair f, x -> not f(not x); add the others back
        extra += [_dual(f, domain) for f in found]
    return _unique_rows(found + extra, L), flips


def _one_unit(domain, K, nonnegative, want_tables, kern, threads, progress):
    """Functions of one unit (step or ReLU: the same set, see the module docstring) with weights in the box."""
    m, L = domain.m, domain.words
    canon, flips = _canonical(domain, K, nonnegative, kern, threads, progress)
    swaps, flip_perms = _transpositions(domain)
    fact = np.array([math.factorial(i) for i in range(m + 1)], dtype=np.int64)
    sizes = kern["orbit_sizes"](canon, swaps, flip_perms, flips, fact)
    total = int(sizes.astype(object).sum())
    tables = None
    if want_tables:
        if total > MAX_LISTED_FUNCTIONS:
            raise CapacityError(f"{total} functions are too many to list (limit {MAX_LISTED_FUNCTIONS}); "
                                "ask for the count only")
        perms = point_permutations(domain, flips)
        tables = _unique_rows([kern["expand_orbits"](canon, perms)], L)
        if len(tables) != total:  # the orbit formula and the explicit orbits are two methods: they must agree
            raise RuntimeError(f"orbit count {total} != listed {len(tables)}: a bug, please report")
    return total, tables


# -------------------------------------------------------------------------------------------------
# several units (or a code): unit tables, readouts, combinations


@dataclass(frozen=True)
class _Slots:
    """Hidden units grouped into classes of interchangeable units, with the behaviours of each class."""

    order: np.ndarray  # slot j holds original unit order[j]
    first: np.ndarray
    last: np.ndarray
    tie: np.ndarray
    rows: np.ndarray  # concatenated behaviours (tables, or relu value vectors)
    W: np.ndarray
    T: np.ndarray


#: above this many (first slot, second slot) pairs, chunks hold first-slot indices only
_MAX_PAIR_ROWS = 1 << 20


def _prefix_chunks(sl, starts, n_chunks: int = 2048) -> list[np.ndarray]:
    """The first one or two slots' indices, in visiting order, cut into up to ``n_chunks`` chunks of similar
    estimated work (so progress bars move and time limits are checked often). Pairs are listed only when there
    are at most ``_MAX_PAIR_ROWS``; beyond that the rows are the first slot's indices alone (the kernels visit
    the same combinations in the same order), so memory never grows with the number of pairs."""
    n = len(sl.first)
    starts = np.asarray(starts, dtype=np.int64)
    if n == 1:
        rows, work = starts.reshape(-1, 1), np.ones(len(starts))
    else:
        k = n - 2
        lo2 = starts if sl.tie[1] else np.full(len(starts), sl.first[1], np.int64)
        cnt = np.maximum(sl.last[1] - lo2, 0)
        top = float(sl.last[-1] + 1)
        if cnt.sum() <= _MAX_PAIR_ROWS:
            second = np.repeat(lo2, cnt) + np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            rows = np.stack([np.repeat(starts, cnt), second], axis=1)
            work = (top - second) ** k / math.factorial(k)
        else:  # the pair work above, summed over the second slot (as an integral)
            rows = starts.reshape(-1, 1)
            work = ((top - lo2) ** (k + 1) - (top - lo2 - cnt) ** (k + 1)) / math.factorial(k + 1)
    if len(rows) == 0:
        return []
    cum = np.cumsum(work)
    cut = np.searchsorted(cum, np.linspace(0, cum[-1], n_chunks + 1)[1:-1], side="right")
    return [c for c in np.split(rows, np.unique(cut)) if len(c)]


def _box(K, nonnegative, S, mode):
    """Integer bounds for weights under an optional code row/entry pattern ``S``."""
    if S is None:
        lo = 0 if nonnegative else -K
        return lo, K
    c = Code(np.zeros((1, 1), np.int8), mode=mode)
    lo, hi = c.bounds(np.asarray(S), K, nonnegative)
    return lo.astype(np.int64), hi.astype(np.int64)


def _slots(domain, n, activation, K_in, nonnegative, code, S_out_cols, kern, complement):
    """Group the hidden units into classes of interchangeable units (same code row, bias sign and readout
    signs ``S_out_cols[:, j]``) and enumerate the behaviours of each class once."""
    m, L = domain.m, domain.words
    relu = activation == "relu"
    X = domain.points.astype(np.int64)
    keys = []
    for j in range(n):
        if code is None:
            lo, hi = np.full(m, -K_in if not nonnegative else 0), np.full(m, K_in)
        else:
            lo, hi = _box(K_in, nonnegative, code.S_in[j], code.mode)
        big = int(np.abs(np.concatenate([lo, hi])).sum()) + 2
        tlo, thi = -big, big
        if code is not None and code.S_b_in is not None:
            sb = int(code.S_b_in[j])
            if sb == 0:
                tlo = thi = 0
            elif code.mode == "sign":
                tlo, thi = (-big, -1) if sb > 0 else (1, big)  # t = -b
        sout = None if S_out_cols is None else tuple(int(v) for v in S_out_cols[:, j])
        keys.append((tuple(lo.tolist()), tuple(hi.tolist()), tlo, thi, sout))
    order = np.array(sorted(range(n), key=lambda j: keys[j]), dtype=np.int64)
    cls_rows, cls_W, cls_T, first, last, tie = [], [], [], [], [], []
    cache: dict = {}
    start = 0
    for pos, j in enumerate(order):
        key = keys[j]
        if key not in cache:
            lo, hi, tlo, thi, _ = key
            rows, W, T = kern["unit_box"](X, np.array(lo, np.int64), np.array(hi, np.int64), tlo, thi, relu, L)
            if complement:
                keep = (rows[:, 0] & np.uint64(1)) == 0
                rows, W, T = rows[keep], W[keep], T[keep]
            order_rows = np.lexsort(rows.T[::-1]) if len(rows) else np.arange(0)
            rows, W, T = rows[order_rows], W[order_rows], T[order_rows]
            cache[key] = (start, start + len(rows))
            cls_rows.append(rows)
            cls_W.append(W)
            cls_T.append(T)
            start += len(rows)
        a, b = cache[key]
        first.append(a)
        last.append(b)
        tie.append(pos > 0 and keys[order[pos - 1]] == key)
    return _Slots(order, np.array(first, np.int64), np.array(last, np.int64), np.array(tie, np.bool_),
                  np.ascontiguousarray(np.vstack(cls_rows)), np.vstack(cls_W), np.concatenate(cls_T))


def _readouts_step(n, K_out, nonnegative, S_row, mode, kern):
    """All readout tables over the 2^n hidden patterns, with a realising ``(v, t)`` each."""
    Xn = Domain(n).points.astype(np.int64)
    if S_row is None:
        lo, hi = np.full(n, 0 if nonnegative else -K_out), np.full(n, K_out)
    else:
        lo, hi = _box(K_out, nonnegative, S_row, mode)
    big = int(np.abs(np.concatenate([lo, hi])).sum()) + 2
    return kern["unit_box"](Xn, lo.astype(np.int64), hi.astype(np.int64), -big, big, False, 1)


def _readouts_relu(n, K_out, nonnegative, S_row, mode):
    """Readout vectors ``v`` in the box with ``gcd(|v|) = 1`` (or ``v = 0``): ``c v`` with ``c > 0`` has the
    same cuts as ``v``, and the box is closed under dividing by a common factor."""
    if S_row is None:
        lo, hi = np.full(n, 0 if nonnegative else -K_out), np.full(n, K_out)
    else:
        lo, hi = _box(K_out, nonnegative, S_row, mode)
    vs = [v for v in product(*[range(int(a), int(b) + 1) for a, b in zip(lo, hi)])
          if math.gcd(*v) in (0, 1)]
    return np.array(vs, dtype=np.int64).reshape(-1, n)


def integer_class(m: int, n: int, n_features: int, activation: str, weight_bound: int | None, code) -> tuple[int, int]:
    """``(K_in, K_out)``: the integer class that represents exactly what the given class does. Real weights
    reduce to integers for step units without a code (``muroga_bound`` per layer) and for one ReLU unit with
    one feature (threshold functions); other real classes are not enumerable."""
    if weight_bound is not None:
        return int(weight_bound), int(weight_bound)
    if activation == "step" and code is None:
        return muroga_bound(m), muroga_bound(n)
    if activation == "relu" and code is None and n == 1 and n_features == 1:
        return muroga_bound(m), 1
    raise CapacityError("real weights are enumerated only for step units without a code, or one ReLU unit "
                        "and one feature; give an integer weight bound, or decide single functions of this class "
                        "with representable(..., method='milp') (capacity represent --method milp)")


def _weight_bounds(domain, n, activation, weight_bound, code) -> tuple[int, int]:
    """``(K_in, K_out)`` actually enumerated: :func:`integer_class`, with an integer box larger than Muroga's
    bound of its layer cut down to that bound where the reduction is proved (step units without a code, one
    ReLU unit; ``proofs/check_weight_bound.py``): the same functions, so a huge ``K`` costs nothing."""
    K_in, K_out = integer_class(domain.m, n, 1, activation, weight_bound, code)
    if code is None and activation == "step":
        return min(K_in, muroga_bound(domain.m)), min(K_out, muroga_bound(n))
    if code is None and n == 1:
        return min(K_in, muroga_bound(domain.m)), 1
    return K_in, K_out


def predict_work(domain: Domain, d_hidden: int = 1, activation: str = "relu", weight_bound: int | None = 1, *,
                 nonnegative: bool = False, code: Code | None = None, tables: bool = False,
                 threads: int = 1) -> dict:
    """What an enumeration will cost, computed before anything is allocated (exact integers, no arrays).

    Returns ``bytes`` (a lower bound on peak memory: the arrays whose sizes are known in advance, and for ReLU
    units without a code the unit behaviours, which are provably distinct per weight vector on domains holding
    0 and the unit vectors), ``largest`` (the name of the biggest of those parts), ``vectors`` (integer
    weight vectors the scan visits) and ``evaluations`` (vectors times points). :func:`enumerate_functions`
    refuses calls past ``MAX_COUNT_BYTES`` or ``MAX_EVALUATIONS`` with a :class:`~capacity.errors.CapacityError`
    instead of running out of memory or running for years.
    """
    m, N, L, n = domain.m, domain.size, domain.words, int(d_hidden)
    K_in, K_out = _weight_bounds(domain, n, activation, weight_bound, code)
    parts = {"point matrix": N * m * 8}
    if n == 1 and code is None:
        flips = domain.is_cube and not nonnegative
        lo = 0 if (flips or nonnegative) else -K_in
        span = K_in - lo + 1
        vectors = math.comb(span + m - 1, m)
        n_pref = span * (span + 1) // 2 if m >= 2 else span
        parts["prefixes of sorted weight vectors"] = n_pref * min(m, 2) * 8
        B = m * (K_in - min(lo, 0)) + 1
        n_recent = 4096
        while n_recent > 16 and n_recent * L > (1 << 22):
            n_recent //= 2
        per_job = (B * L + (m + 1) * N + (min(N, B) + 1) * L + n_recent * L + N + 1) * 8
        parts["scan buffers per thread"] = per_job * max(1, min(threads, n_pref))
        parts["symmetry permutations"] = (m * (m - 1) // 2 + m) * N * 8
        if tables:
            parts["all point permutations"] = math.factorial(m) * (2**m if flips else 1) * N * 8
    else:
        if code is None:
            box = (K_in + 1 if nonnegative else 2 * K_in + 1) ** m
        else:
            box = sum(math.prod(int(h) - int(l) + 1 for l, h in zip(*key)) for key in
                      {tuple(map(tuple, _box(K_in, nonnegative, code.S_in[j], code.mode))) for j in range(n)})
        R = (K_out + 1 if nonnegative else 2 * K_out + 1) ** n
        vectors = box + R
        if activation == "relu":
            parts["readout vectors"] = R * (64 + 16 * n)  # Python tuples, then an int64 array
            if code is None and (domain.sparsity is None or domain.sparsity >= 1):
                parts["ReLU unit behaviours"] = 3 * box * N * 8  # rows + a hash set at most half full
    largest = max(parts, key=parts.get)
    return {"bytes": sum(parts.values()), "largest": largest, "vectors": vectors, "evaluations": vectors * N,
            "K_in": K_in, "K_out": K_out}


def _check_limits(pred: dict, max_bytes: int | None, max_evaluations: int | None) -> None:
    max_bytes = MAX_COUNT_BYTES if max_bytes is None else max_bytes
    max_evaluations = MAX_EVALUATIONS if max_evaluations is None else max_evaluations
    if pred["bytes"] > max_bytes:
        raise CapacityError(f"this count needs at least {pred['bytes'] / 2**30:.3g} GiB of memory (mostly "
                            f"{pred['largest']}), more than the limit MAX_COUNT_BYTES = {max_bytes / 2**30:.3g} GiB; "
                            "use fewer inputs, a sparser domain or a smaller weight bound")
    if pred["evaluations"] > max_evaluations:
        raise CapacityError(f"this count would evaluate {pred['vectors']:.3g} integer weight vectors on "
                            f"{pred['evaluations'] // pred['vectors']} points, more than the limit MAX_EVALUATIONS = "
                            f"{max_evaluations:.3g}; use fewer inputs or a smaller weight bound")


def _combinations(sl) -> int:
    """Exact number of unit combinations the odometer visits: runs of tied slots are multisets."""
    total, j, n = 1, 0, len(sl.first)
    while j < n:
        t = 1
        while j + t < n and sl.tie[j + t]:
            t += 1
        total *= math.comb(int(sl.last[j] - sl.first[j]) + t - 1, t)
        j += t
    return total


def _several_units(domain, n, activation, K_in, K_out, nonnegative, code, kern, threads, progress, max_bytes,
                   max_evaluations):
    S_out = None if code is None or code.S_out is None else code.S_out
    if S_out is not None and S_out.shape[0] != 1:
        raise CapacityError("a representable set needs a code with at most one readout row (S_out)")
    if activation == "step" and n > _MAX_STEP_WIDTH:
        raise CapacityError(f"step enumeration supports at most {_MAX_STEP_WIDTH} hidden units, got {n}")
    complement = activation == "step" and code is None and not nonnegative
    sl = _slots(domain, n, activation, K_in, nonnegative, code, S_out, kern, complement)
    S_row = None if S_out is None else S_out[0][sl.order]
    mode = "sign" if code is None else code.mode
    L = domain.words
    G = _readouts_step(n, K_out, nonnegative, S_row, mode, kern)[0] if activation == "step" else \
        _readouts_relu(n, K_out, nonnegative, S_row, mode)
    layers = _combinations(sl)  # checked before the chunks are cut (their prefixes alone can be huge)
    if layers * len(G) * domain.size > max_evaluations:
        raise CapacityError(f"this count would combine {layers:.3g} hidden layers with {len(G)} readouts on "
                            f"{domain.size} points, more than the limit MAX_EVALUATIONS = {max_evaluations:.3g}; "
                            "use fewer inputs, units or a smaller weight bound")
    chunks = _prefix_chunks(sl, range(sl.first[0], sl.last[0]))
    empty_targets = np.zeros((0, L), dtype=np.uint64)
    halt = np.zeros(1, np.int8)  # set when the merge refuses (or on Ctrl-C): the running chunks stop
    if activation == "step":
        valid = domain.pack(np.ones(domain.size, bool))
        jobs = [(sl.rows, sl.first, sl.last, sl.tie, c, G, valid, empty_targets, _NONE, _NONE, 0, halt)
                for c in chunks]
        fn = kern["combos_step"]
    else:
        jobs = [(sl.rows, sl.first, sl.last, sl.tie, c, G, L, empty_targets, _NONE, _NONE, 0, halt) for c in chunks]
        fn = kern["combos_relu"]
    # the set's size is known only as it grows: merge the chunks' sets as they come and refuse once the distinct
    # functions (held about four times over by the merge) would pass the memory limit
    max_rows = max(1, max_bytes // (4 * 8 * L))
    state = {"set": np.zeros((1, L), np.uint64), "pending": [], "rows": 0}

    def absorb(res):
        state["pending"].append(res[0])
        state["rows"] += len(res[0])
        if state["rows"] > max_rows // 4:
            merge()

    def merge():
        state["set"] = _unique_rows([state["set"]] + state["pending"], L)
        state["pending"], state["rows"] = [], 0
        if len(state["set"]) > max_rows:
            raise CapacityError(f"the combination enumeration has met more than {len(state['set'])} distinct "
                                f"functions, which with its merge buffers needs more than the limit MAX_COUNT_BYTES "
                                f"= {max_bytes / 2**30:.3g} GiB")

    _run(fn, jobs, threads, progress, "unit combinations", absorb=absorb, on_abort=lambda: halt.fill(1))
    merge()
    return state["set"]


def enumerate_functions(domain: Domain, d_hidden: int = 1, activation: str = "relu", weight_bound: int | None = 1,
                        *, nonnegative: bool = False, code: Code | None = None, tables: bool = True,
                        backend: str = "numba", threads: int | None = None, progress: bool = False,
                        max_bytes: int | None = None, max_evaluations: int | None = None) -> Enumeration:
    """The exact set of functions on ``domain`` that one readout of a width-``d_hidden`` network computes.

    Args:
        domain: the inputs.
        d_hidden: hidden units ``n``.
        activation: ``"step"`` or ``"relu"``.
        weight_bound: ``K`` (integer weights in ``[-K, K]``), or ``None`` for real weights (one unit, or step
            units without a code; see the module docstring).
        nonnegative: all weights ``>= 0`` (biases stay free).
        code: optional :class:`~capacity.codes.Code` constraining ``W_in`` (and ``b_in``, ``W_out``).
        tables: also return the sorted truth tables (otherwise only the count, which for one unit without
            a code is computed from orbit representatives and never lists the set).
        backend: ``"numba"`` (default) or ``"python"`` (the plain-Python twins, for tests and benchmarks).
        threads: worker threads (default: Numba's thread count).
        progress: show a progress bar.
        max_bytes, max_evaluations: refuse (``CapacityError``) when :func:`predict_work` exceeds these
            (default ``MAX_COUNT_BYTES`` and ``MAX_EVALUATIONS``).

    A box larger than Muroga's bound is cut down to it where that is exact (see :func:`_weight_bounds`);
    ``weight_bound_used`` reports the box scanned.

    >>> enumerate_functions(Domain(2), 1, "step", 1).count   # the 14 threshold functions of 2 inputs
    14
    """
    from .network import ACTIVATIONS

    t0 = time.perf_counter()
    if activation not in ACTIVATIONS:
        raise CapacityError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if isinstance(d_hidden, bool) or not isinstance(d_hidden, (int, np.integer)) or d_hidden < 1:
        raise CapacityError(f"hidden units must be an integer >= 1, got {d_hidden!r}")
    if weight_bound is not None and (isinstance(weight_bound, bool) or int(weight_bound) != weight_bound
                                     or weight_bound < 1):
        raise CapacityError(f"weight bound must be an integer >= 1 or None (real), got {weight_bound!r}")
    if code is not None and (code.d_hidden != d_hidden or code.d_in != domain.m):
        raise CapacityError(f"code is {code.d_hidden}x{code.d_in}, expected {d_hidden}x{domain.m}")
    kern = _kernels(backend)
    threads = threads or int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count() or 1
    pred = predict_work(domain, int(d_hidden), activation, weight_bound, nonnegative=nonnegative, code=code,
                        tables=tables, threads=threads)
    _check_limits(pred, max_bytes, max_evaluations)
    K_in, K_out = pred["K_in"], pred["K_out"]
    with np.errstate(over="ignore"):  # the twins wrap uint64 hashes exactly as Numba does
        if d_hidden == 1 and code is None:
            K = K_in
            total, tabs = _one_unit(domain, K, nonnegative, tables, kern, threads, progress)
            method = "orbits"
        else:
            tabs = _several_units(domain, int(d_hidden), activation, K_in, K_out, nonnegative, code, kern,
                                  threads, progress, MAX_COUNT_BYTES if max_bytes is None else max_bytes,
                                  MAX_EVALUATIONS if max_evaluations is None else max_evaluations)
            K, total, method = max(K_in, K_out), len(tabs), "combinations"
            if not tables:
                tabs = None
    return Enumeration(domain, int(d_hidden), activation, weight_bound, nonnegative, total, tabs, K, method,
                       time.perf_counter() - t0, code)


def count(domain: Domain, d_hidden: int = 1, activation: str = "relu", weight_bound: int | None = 1,
          **kwargs) -> Enumeration:
    """Like :func:`enumerate_functions` with ``tables=False``: the exact number of representable functions.
    ``weight_bound=None`` means real weights (see the module docstring for which classes reduce to integers).

    >>> count(Domain(3), weight_bound=None).count   # one ReLU unit, real weights: OEIS A000609(3)
    104
    """
    return enumerate_functions(domain, d_hidden, activation, weight_bound, tables=False, **kwargs)
