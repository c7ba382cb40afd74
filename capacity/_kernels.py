"""Numba kernels for exact enumeration, each beside its plain-Python twin.

Every kernel here is written once as a plain Python function (``_name``) that only uses numpy scalars and
arrays, and compiled with :func:`numba.njit` into ``name``. The plain function is the *twin*: the tests run
both on the same inputs and compare, and ``benchmarks/bench_kernels.py`` times one against the other. Set
``CAPACITY_NUMBA_CACHE=0`` to switch off Numba's on-disk cache.

Truth tables are rows of ``L`` uint64 words (bit ``p % 64`` of word ``p // 64`` is the value at point ``p``);
sets of distinct rows are kept in open-addressing hash tables (``_set_*``). All kernels are ``nogil`` so the
Python driver can run chunks on several threads.
"""

from __future__ import annotations

import os

import numpy as np
from numba import njit
from numba.extending import register_jitable

__all__ = ["KERNELS", "TWINS"]

_CACHE = os.environ.get("CAPACITY_NUMBA_CACHE", "1") != "0"
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S56 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(56)
_S1, _S2, _S4 = np.uint64(1), np.uint64(2), np.uint64(4)
_S6, _B63 = np.uint64(6), np.uint64(63)
_RECENT = 4096  # entries of scan_sorted's cache of recent cuts (a power of two)


@register_jitable(inline="always")
def _popcount(x):
    """SWAR popcount of one uint64 (numba 0.68 cannot compile np.bitwise_count)."""
    x = x - ((x >> _S1) & _M1)
    x = (x & _M2) + ((x >> _S2) & _M2)
    x = (x + (x >> _S4)) & _M4
    return (x * _H01) >> _S56


@register_jitable(inline="always")
def _hash_row(row):
    h = _GOLD
    for i in range(row.shape[0]):
        z = row[i] + h
        z = (z ^ (z >> _S30)) * _MIX1
        z = (z ^ (z >> _S27)) * _MIX2
        h = z ^ (z >> _S31)
    return h


@register_jitable
def _set_new(capacity, L):
    """An empty set of uint64 rows of length ``L`` (capacity a power of two)."""
    cap = 16
    while cap < 2 * capacity:
        cap *= 2
    return np.zeros((cap, L), dtype=np.uint64), np.zeros(cap, dtype=np.bool_), np.zeros(1, dtype=np.int64)


@register_jitable(inline="always")
def _set_add(keys, used, count, row):
    """Insert ``row``; returns True when it was new. The caller grows the set when it is half full."""
    mask = np.uint64(keys.shape[0] - 1)
    slot = np.int64(_hash_row(row) & mask)
    L = row.shape[0]
    while used[slot]:
        same = True
        for i in range(L):
            if keys[slot, i] != row[i]:
                same = False
                break
        if same:
            return False
        slot = (slot + 1) & np.int64(mask)
    for i in range(L):
        keys[slot, i] = row[i]
    used[slot] = True
    count[0] += 1
    return True


@register_jitable
def _set_add_many(keys, used, count, rows, n):
    """Insert ``rows[:n]`` until the set is half full; returns how many were processed. Callers grow the set
    and call again, so the arrays are rebound once per batch rather than once per row (rebinding inside a hot
    loop costs Numba a reference count update on every iteration)."""
    for i in range(n):
        if 2 * (count[0] + 1) > keys.shape[0]:
            return i
        _set_add(keys, used, count, rows[i])
    return n


@register_jitable
def _set_grow(keys, used, count):
    nk, nu, nc = _set_new(keys.shape[0], keys.shape[1])
    for s in range(keys.shape[0]):
        if used[s]:
            _set_add(nk, nu, nc, keys[s])
    return nk, nu, nc


@register_jitable
def _set_rows(keys, used):
    """The stored rows, in slot order (the driver sorts them)."""
    out = np.empty((np.int64(used.sum()), keys.shape[1]), dtype=np.uint64)
    j = 0
    for s in range(keys.shape[0]):
        if used[s]:
            out[j] = keys[s]
            j += 1
    return out


# -------------------------------------------------------------------------------------------------
# one threshold unit: sorted weight vectors, every cut of the bias


@register_jitable
def _recent_size(L):
    """Entries of ``scan_sorted``'s cache of recent cuts: ``_RECENT``, fewer for long tables (at most 32 MB)."""
    n = _RECENT
    while n > 16 and n * L > (1 << 22):
        n //= 2
    return n


def _scan_sorted(X, lo, hi, prefixes, L, half):
    """Distinct tables ``[w . x >= t]`` (all ``t``) for every non-increasing integer ``w`` with
    ``hi >= w_0 >= w_1 >= ... >= w_{m-1} >= lo`` whose first entries equal one of ``prefixes`` (rows).

    ``X`` is the ``(N, m)`` int64 point matrix. With ``half`` (full cube, ``w >= 0``) only cuts reachable by a
    threshold ``t`` with ``2t <= sum(w) + 1`` are kept: the others are duals ``x -> not f(not x)`` of kept
    ones, which the driver adds back. Returns the distinct non-empty tables (``L`` words each).
    """
    N, m = X.shape
    base = m * min(lo, 0)
    B = m * (max(hi, 0) - min(lo, 0)) + 1
    nb = (B + 63) // 64
    buckets = np.zeros((B, L), dtype=np.uint64)
    occ = np.zeros(nb, dtype=np.uint64)  # bit (B-1-b): bucket b is filled, so ascending bits = descending sums
    levels = np.zeros(N + 1, dtype=np.int64)
    S = np.zeros((m + 1, N), dtype=np.int64)
    w = np.zeros(m, dtype=np.int64)
    acc = np.zeros(L, dtype=np.uint64)
    cuts = np.zeros((min(N, B) + 1, L), dtype=np.uint64)  # one cut per distinct sum at most
    n_recent = _recent_size(L)
    recent = np.zeros((n_recent, L), dtype=np.uint64)
    recent_ok = np.zeros(n_recent, dtype=np.bool_)
    keys, used, count = _set_new(1024, L)
    plen = prefixes.shape[1]
    for r in range(prefixes.shape[0]):
        ok = True
        for i in range(plen):
            w[i] = prefixes[r, i]
            if w[i] < lo or w[i] > hi or (i > 0 and w[i] > w[i - 1]):
                ok = False
        if not ok:
            continue
        for i in range(plen, m):
            w[i] = hi if i == 0 else w[i - 1]
        first = 0
        while True:
            for i in range(first, m):
                for p in range(N):
                    S[i + 1, p] = S[i, p] + w[i] * X[p, i]
            for p in range(N):
                b = S[m, p] - base
                buckets[b, p >> 6] |= _ONE << np.uint64(p & 63)
                rb = B - 1 - b
                occ[rb >> 6] |= _ONE << np.uint64(rb & 63)
            nl = 0
            for q in range(nb):
                x = occ[q]
                while x != _ZERO:
                    low = x & (~x + _ONE)
                    levels[nl] = B - 1 - (q * 64 + np.int64(_popcount(low - _ONE)))
                    nl += 1
                    x ^= low
                occ[q] = _ZERO
            total = np.int64(0)
            for i in range(m):
                total += w[i]
            for k in range(L):
                acc[k] = _ZERO
            nc = 0
            for j in range(nl):
                b = levels[j]
                for k in range(L):
                    acc[k] |= buckets[b, k]
                    buckets[b, k] = _ZERO
                # smallest threshold giving this cut: one above the next lower sum
                if half and j + 1 < nl and 2 * (levels[j + 1] + base + 1) > total + 1:
                    continue
                # a direct-mapped cache of recent cuts: consecutive vectors repeat most cuts, and skipping
                # them here spares the big set's cache misses
                slot = np.int64(_hash_row(acc) & np.uint64(n_recent - 1))
                hit = recent_ok[slot]
                for k in range(L):
                    if recent[slot, k] != acc[k]:
                        hit = False
                if hit:
                    continue
                for k in range(L):
                    recent[slot, k] = acc[k]
                    cuts[nc, k] = acc[k]
                recent_ok[slot] = True
                nc += 1
            done = _set_add_many(keys, used, count, cuts, nc)
            while done < nc:
                keys, used, count = _set_grow(keys, used, count)
                done += _set_add_many(keys, used, count, cuts[done:], nc - done)
            # next non-increasing vector: rightmost free position that can still decrease
            j = m - 1
            while j >= plen and w[j] <= lo:
                j -= 1
            if j < plen:
                break
            w[j] -= 1
            for i in range(j + 1, m):
                w[i] = w[j]
            first = j
    return _set_rows(keys, used)


@register_jitable
def _fixed_by(table, perm):
    """Whether the point permutation ``perm`` leaves the truth table unchanged."""
    for p in range(perm.shape[0]):
        q = perm[p]
        if ((table[p >> 6] >> np.uint64(p & 63)) & _ONE) != ((table[q >> 6] >> np.uint64(q & 63)) & _ONE):
            return False
    return True


def _orbit_sizes(tables, swaps, flips, use_flips, fact):
    """For each canonical threshold table, the size of its orbit under input permutations (and negations
    when ``use_flips``): ``m! / prod(class sizes!) * 2^(essential variables)``.

    ``swaps[k]`` is the point permutation of the k-th transposition ``(i, j)`` (``i < j``, row-major over
    pairs), ``flips[i]`` the point permutation negating input ``i``. Variables are symmetric when the
    transposition fixes the table; for threshold functions that relation is an equivalence whose classes
    generate the whole stabiliser (see proofs/check_threshold_orbits.py).
    """
    F = tables.shape[0]
    m = flips.shape[0]
    out = np.empty(F, dtype=np.int64)
    cls = np.empty(m, dtype=np.int64)
    for f in range(F):
        for i in range(m):
            cls[i] = i
        k = 0
        for i in range(m):
            for j in range(i + 1, m):
                if cls[j] == j and _fixed_by(tables[f], swaps[k]):
                    cls[j] = cls[i]
                k += 1
        size = fact[m]
        for c in range(m):
            n_c = 0
            for i in range(m):
                if cls[i] == c:
                    n_c += 1
            size //= fact[n_c]
        if use_flips:
            for i in range(m):
                if not _fixed_by(tables[f], flips[i]):  # input i is essential
                    size *= 2
        out[f] = size
    return out


def _expand_orbits(tables, perms):
    """All images of ``tables`` (rows of point values as words) under the point permutations ``perms``
    (``(G, N)``; image bit ``p`` = source bit ``perms[g, p]``), distinct."""
    F, L = tables.shape
    G, N = perms.shape
    keys, used, count = _set_new(max(16, F * 4), L)
    img = np.zeros((G, L), dtype=np.uint64)
    for f in range(F):
        for g in range(G):
            for k in range(L):
                img[g, k] = _ZERO
            for p in range(N):
                q = perms[g, p]
                if (tables[f, q >> 6] >> np.uint64(q & 63)) & _ONE:
                    img[g, p >> 6] |= _ONE << np.uint64(p & 63)
        done = _set_add_many(keys, used, count, img, G)
        while done < G:
            keys, used, count = _set_grow(keys, used, count)
            done += _set_add_many(keys, used, count, img[done:], G - done)
    return _set_rows(keys, used)


# -------------------------------------------------------------------------------------------------
# hidden-unit behaviours in a box (no symmetry), with a representative (w, t) for each


def _unit_box(X, lo, hi, tlo, thi, relu, L):
    """Every distinct behaviour of one hidden unit with integer weights ``lo <= w <= hi`` (per input) and
    integer threshold ``t = -b`` in ``[tlo, thi]``.

    Step: the table of ``[w . x >= t]``; the candidate thresholds are the distinct sums and one past the
    largest, clipped into ``[tlo, thi]`` (every achievable cut has one). ReLU: the vector ``relu(w . x - t)``
    (N int64 values stored as words) for every integer ``t`` between the smallest and largest sum, clipped:
    a threshold below the smallest sum gives the same vector plus a constant, which the free readout bias
    absorbs. Returns ``(rows, W, T)``: the distinct behaviours and one realising ``(w, t)`` for each.
    """
    N, m = X.shape
    Lk = N if relu else L
    keys, used, count = _set_new(1024, Lk)
    cap = 1024
    Wrep = np.zeros((cap, m), dtype=np.int64)
    Trep = np.zeros(cap, dtype=np.int64)
    rows = np.zeros((cap, Lk), dtype=np.uint64)
    n_out = 0
    w = lo.copy()
    s = np.zeros(N, dtype=np.int64)
    row = np.zeros(Lk, dtype=np.uint64)
    while True:
        smin = np.int64(0)
        smax = np.int64(0)
        for p in range(N):
            acc = np.int64(0)
            for i in range(m):
                acc += w[i] * X[p, i]
            s[p] = acc
            if p == 0 or acc < smin:
                smin = acc
            if p == 0 or acc > smax:
                smax = acc
        top = smax if relu else smax + 1
        for c in range(smin, top + 1):
            if not relu and c != top:
                present = False
                for p in range(N):
                    if s[p] == c:
                        present = True
                        break
                if not present:
                    continue
            t = min(max(c, tlo), thi)
            if relu:
                for p in range(N):
                    v = s[p] - t
                    row[p] = np.uint64(v) if v > 0 else _ZERO
            else:
                for q in range(Lk):
                    row[q] = _ZERO
                for p in range(N):
                    if s[p] >= t:
                        row[p >> 6] |= _ONE << np.uint64(p & 63)
            if _set_add(keys, used, count, row):
                if n_out == cap:
                    cap *= 2
                    Wn = np.zeros((cap, m), dtype=np.int64)
                    Tn = np.zeros(cap, dtype=np.int64)
                    Rn = np.zeros((cap, Lk), dtype=np.uint64)
                    Wn[:n_out] = Wrep[:n_out]
                    Tn[:n_out] = Trep[:n_out]
                    Rn[:n_out] = rows[:n_out]
                    Wrep, Trep, rows = Wn, Tn, Rn
                Wrep[n_out] = w
                Trep[n_out] = t
                rows[n_out] = row
                n_out += 1
                if 2 * count[0] > keys.shape[0]:
                    keys, used, count = _set_grow(keys, used, count)
        j = m - 1
        while j >= 0 and w[j] >= hi[j]:
            w[j] = lo[j]
            j -= 1
        if j < 0:
            break
        w[j] += 1
    return rows[:n_out].copy(), Wrep[:n_out].copy(), Trep[:n_out].copy()


# -------------------------------------------------------------------------------------------------
# n hidden units and a readout


@register_jitable
def _patterns(U, idx, n, L, valid, P):
    """``P[c]`` = the points whose hidden pattern is ``c`` (bit j of c = unit ``idx[j]`` active)."""
    for c in range(1 << n):
        for k in range(L):
            P[c, k] = valid[k]
        for j in range(n):
            on = (c >> j) & 1
            for k in range(L):
                if on:
                    P[c, k] &= U[idx[j], k]
                else:
                    P[c, k] &= ~U[idx[j], k]


@register_jitable
def _first_combo(idx, prefixes, r, first, last, tie):
    """Set ``idx`` to the first combination extending prefix row ``r``; False if that prefix is invalid."""
    n = idx.shape[0]
    plen = prefixes.shape[1]
    for i in range(n):
        if i < plen:
            idx[i] = prefixes[r, i]
            if idx[i] < first[i] or (i > 0 and tie[i] and idx[i] < idx[i - 1]):
                return False
        else:
            idx[i] = idx[i - 1] if tie[i] else first[i]
        if idx[i] >= last[i]:
            return False
    return True


@register_jitable
def _next_combo(idx, first, last, tie, fixed):
    """Advance the odometer ``idx`` (slot j ranges over ``[first[j], last[j])``; ``tie[j]`` makes slot j
    interchangeable with slot j-1, so ``idx[j] >= idx[j-1]``); slots below ``fixed`` belong to the prefix
    and do not move. Returns the lowest slot that changed, or -1 when done."""
    n = idx.shape[0]
    j = n - 1
    while j >= fixed:
        if idx[j] + 1 < last[j]:
            idx[j] += 1
            for i in range(j + 1, n):
                idx[i] = idx[i - 1] if tie[i] else first[i]
            return j
        j -= 1
    return -1


@register_jitable
def _advance(idx, prefixes, r, first, last, tie):
    """Next combination, moving on to the next valid prefix row when one is exhausted; returns the prefix
    row now in use, or ``prefixes.shape[0]`` when all are done."""
    if _next_combo(idx, first, last, tie, prefixes.shape[1]) >= 0:
        return r
    r += 1
    while r < prefixes.shape[0] and not _first_combo(idx, prefixes, r, first, last, tie):
        r += 1
    return r


def _combos_step(U, first, last, tie, prefixes, G, valid, targets, g_lo, g_hi, mode, stop):
    """Step units: for every unit combination extending a row of ``prefixes`` (the first slots' indices; rows
    are visited in order) and every readout table ``g`` in ``G``
    (over the ``2^n`` hidden patterns; ``G[r, 0]`` is a bitmask, n <= 6), the function
    ``f = OR_{c : g(c)} P[c]``.

    ``mode=0``: returns the distinct functions. ``mode=1``: returns, for the first combination where every
    row ``t`` of ``targets`` is such an ``f`` for some readout ``g_lo[t] <= r < g_hi[t]``, ``idx`` followed by
    the readout index per target; else an empty array. ``mode=2``: the same for the combination reaching the
    most targets (first such), with ``-1`` for targets it misses, followed by that number of targets.

    ``stop`` (int8, length 1) is read before every combination (and every 1024 readouts): once it is non-zero
    the kernel returns the empty answer of its mode (no functions / no hit / all ``-1``), which the caller must
    not read as a complete chunk (it sees ``stop[0]``).
    """
    find = mode != 0
    n = first.shape[0]
    L = U.shape[1]
    C = 1 << n
    P = np.zeros((C, L), dtype=np.uint64)
    idx = np.zeros(n, dtype=np.int64)
    row = 0
    while row < prefixes.shape[0] and not _first_combo(idx, prefixes, row, first, last, tie):
        row += 1
    if row == prefixes.shape[0] or stop[0]:
        return np.zeros((0, L), dtype=np.uint64), np.full(n + targets.shape[0] + 1 if mode == 2 else 0, -1, np.int64)
    keys, used, count = _set_new(1024, L)
    fbuf = np.zeros((0 if mode else G.shape[0], L), dtype=np.uint64)
    F = targets.shape[0]
    pick = np.zeros(F, dtype=np.int64)
    best = np.full(n + F + 1, -1, dtype=np.int64)
    while True:
        _patterns(U, idx, n, L, valid, P)
        occ = np.uint64(0)
        for c in range(C):
            nz = False
            for k in range(L):
                if P[c, k] != _ZERO:
                    nz = True
            if nz:
                occ |= _ONE << np.uint64(c)
        if find:
            all_ok = True
            for t in range(F):
                need = np.uint64(0)
                ok = True
                for c in range(C):
                    if (occ >> np.uint64(c)) & _ONE:
                        inside = True
                        outside = True
                        for k in range(L):
                            if P[c, k] & ~targets[t, k]:
                                inside = False
                            if P[c, k] & targets[t, k]:
                                outside = False
                        if inside:
                            need |= _ONE << np.uint64(c)
                        elif not outside:
                            ok = False
                            break
                if ok:
                    ok = False
                    for r in range(g_lo[t], g_hi[t]):
                        if (G[r, 0] & occ) == need:
                            pick[t] = r
                            ok = True
                            break
                if not ok:
                    all_ok = False
                    pick[t] = -1
                    if mode == 1:
                        break
            if mode == 2:
                hits = 0
                for t in range(F):
                    if pick[t] >= 0:
                        hits += 1
                if hits > best[n + F]:
                    best[:n] = idx
                    best[n:n + F] = pick
                    best[n + F] = hits
                all_ok = hits == F
            if all_ok:
                res = np.zeros(n + F + (1 if mode == 2 else 0), dtype=np.int64)
                res[:n] = idx
                res[n:n + F] = pick
                if mode == 2:
                    res[n + F] = F
                return np.zeros((0, L), dtype=np.uint64), res
        else:
            nG = G.shape[0]
            for r in range(nG):
                if (r & 1023) == 1023 and stop[0]:  # a very large readout set: stop inside the combination
                    return np.zeros((0, L), dtype=np.uint64), np.zeros(0, dtype=np.int64)
                g = G[r, 0] & occ
                for k in range(L):
                    fbuf[r, k] = _ZERO
                for c in range(C):
                    if (g >> np.uint64(c)) & _ONE:
                        for k in range(L):
                            fbuf[r, k] |= P[c, k]
            done = _set_add_many(keys, used, count, fbuf, nG)
            while done < nG:
                keys, used, count = _set_grow(keys, used, count)
                done += _set_add_many(keys, used, count, fbuf[done:], nG - done)
        row = _advance(idx, prefixes, row, first, last, tie)
        if row == prefixes.shape[0]:
            break
        if stop[0]:
            return np.zeros((0, L), dtype=np.uint64), np.full(n + F + 1 if mode == 2 else 0, -1, np.int64)
    if mode == 2:
        return np.zeros((0, L), dtype=np.uint64), best
    if find:
        return np.zeros((0, L), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return _set_rows(keys, used), np.zeros(0, dtype=np.int64)


@register_jitable
def _relu_all_targets(V, idx, R, Y, filled, targets, g_lo, g_hi, pick):
    """Whether every target is a cut ``{p : y(p) >= t}`` of some ``y = R[r] . h`` with ``g_lo <= r < g_hi``
    (``h`` the units ``idx``), i.e. ``min y`` on its points ``> max y`` on the others; ``pick[t]`` gets the
    first such ``r`` (the readout the sorting loop of ``_combos_relu`` picks), ``g_lo[t]`` for the empty
    target. ``Y`` caches the readouts' values, computed on first use (``filled``)."""
    n = idx.shape[0]
    N = V.shape[1]
    filled[:] = False
    for t in range(targets.shape[0]):
        empty = True
        for k in range(targets.shape[1]):
            if targets[t, k] != _ZERO:
                empty = False
        if empty:
            pick[t] = g_lo[t]
            continue
        pick[t] = -1
        for r in range(g_lo[t], g_hi[t]):
            if not filled[r]:
                for p in range(N):
                    acc = np.int64(0)
                    for j in range(n):
                        acc += R[r, j] * np.int64(V[idx[j], p])
                    Y[r, p] = acc
                filled[r] = True
            lo_on = np.int64(0)
            hi_off = np.int64(0)
            any_on = False
            any_off = False
            for p in range(N):
                if (targets[t, p >> 6] >> np.uint64(p & 63)) & _ONE:
                    if not any_on or Y[r, p] < lo_on:
                        lo_on = Y[r, p]
                    any_on = True
                else:
                    if not any_off or Y[r, p] > hi_off:
                        hi_off = Y[r, p]
                    any_off = True
                if any_on and any_off and lo_on <= hi_off:
                    break
            if not any_off or lo_on > hi_off:
                pick[t] = r
                break
        if pick[t] < 0:
            return False
    return True


def _combos_relu(V, first, last, tie, prefixes, R, L, targets, g_lo, g_hi, mode, stop):
    """ReLU units: ``V`` holds unit value vectors (N int64 stored as uint64). For every combination extending
    a row of ``prefixes`` and every readout ``v`` in ``R`` (rows of n ints), every cut ``{p : y0(p) >= t}`` of
    ``y0 = sum_j v_j V[idx_j]``. Same return convention as ``_combos_step`` (target ``t`` may use readouts
    ``g_lo[t] <= r < g_hi[t]``); in find modes the entry per target is the readout index ``r``. ``stop`` as
    for ``_combos_step``."""
    find = mode != 0
    n = first.shape[0]
    N = V.shape[1]
    idx = np.zeros(n, dtype=np.int64)
    row = 0
    while row < prefixes.shape[0] and not _first_combo(idx, prefixes, row, first, last, tie):
        row += 1
    if row == prefixes.shape[0] or stop[0]:
        return np.zeros((0, L), dtype=np.uint64), np.full(n + targets.shape[0] + 1 if mode == 2 else 0, -1, np.int64)
    keys, used, count = _set_new(1024, L)
    y = np.zeros(N, dtype=np.int64)
    f = np.zeros(L, dtype=np.uint64)
    cuts = np.zeros((N, L), dtype=np.uint64)
    F = targets.shape[0]
    pick = np.zeros(F, dtype=np.int64)
    found = np.zeros(F, dtype=np.bool_)
    best = np.full(n + F + 1, -1, dtype=np.int64)
    Y = np.zeros((R.shape[0], N), dtype=np.int64)
    filled = np.zeros(R.shape[0], dtype=np.bool_)
    seen = np.full(n, -1, dtype=np.int64)  # the prefix (all slots but the last) last tested by _levels_ok
    while True:
        if mode == 1:  # first hit only: test target by target and stop at the first that no readout cuts out
            fresh = False
            for j in range(n - 1):
                if idx[j] != seen[j]:
                    fresh = True
                seen[j] = idx[j]
            if fresh and n >= 2 and not _levels_ok(V, idx, n - 1, targets):
                idx[n - 1] = last[n - 1] - 1  # no last unit completes this prefix: move on to the next one
                res = False
            else:
                res = _relu_all_targets(V, idx, R, Y, filled, targets, g_lo, g_hi, pick)
            if res:
                out = np.zeros(n + F, dtype=np.int64)
                out[:n] = idx
                out[n:] = pick
                return np.zeros((0, L), dtype=np.uint64), out
            row = _advance(idx, prefixes, row, first, last, tie)
            if row == prefixes.shape[0]:
                break
            if stop[0]:
                return np.zeros((0, L), dtype=np.uint64), np.zeros(0, np.int64)
            continue
        for t in range(F):  # the empty function is every readout's cut below its minimum
            found[t] = True
            pick[t] = g_lo[t]
            for k in range(L):
                if targets[t, k] != _ZERO:
                    found[t] = False
        for r in range(R.shape[0]):
            if (r & 1023) == 1023 and stop[0]:  # a very large readout set: stop inside the combination
                return np.zeros((0, L), dtype=np.uint64), np.full(n + F + 1 if mode == 2 else 0, -1, np.int64)
            for p in range(N):
                acc = 0
                for j in range(n):
                    acc += R[r, j] * np.int64(V[idx[j], p])
                y[p] = acc
            order = np.argsort(-y, kind="mergesort")
            for k in range(L):
                f[k] = _ZERO
            q = 0
            nc = 0
            while q < N:
                val = y[order[q]]
                while q < N and y[order[q]] == val:
                    p = order[q]
                    f[p >> 6] |= _ONE << np.uint64(p & 63)
                    q += 1
                if find:
                    for t in range(F):
                        if not found[t] and g_lo[t] <= r and r < g_hi[t]:
                            same = True
                            for k in range(L):
                                if f[k] != targets[t, k]:
                                    same = False
                                    break
                            if same:
                                found[t] = True
                                pick[t] = r
                else:
                    for k in range(L):
                        cuts[nc, k] = f[k]
                    nc += 1
            if not find:
                done = _set_add_many(keys, used, count, cuts, nc)
                while done < nc:
                    keys, used, count = _set_grow(keys, used, count)
                    done += _set_add_many(keys, used, count, cuts[done:], nc - done)
        if find:
            hits = 0
            for t in range(F):
                if found[t]:
                    hits += 1
                else:
                    pick[t] = -1
            if mode == 2 and hits > best[n + F]:
                best[:n] = idx
                best[n:n + F] = pick
                best[n + F] = hits
            if hits == F:
                res = np.zeros(n + F + (1 if mode == 2 else 0), dtype=np.int64)
                res[:n] = idx
                res[n:n + F] = pick
                if mode == 2:
                    res[n + F] = F
                return np.zeros((0, L), dtype=np.uint64), res
        row = _advance(idx, prefixes, row, first, last, tie)
        if row == prefixes.shape[0]:
            break
        if stop[0]:
            return np.zeros((0, L), dtype=np.uint64), np.full(n + F + 1 if mode == 2 else 0, -1, np.int64)
    if mode == 2:
        return np.zeros((0, L), dtype=np.uint64), best
    if find:
        return np.zeros((0, L), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return _set_rows(keys, used), np.zeros(0, dtype=np.int64)


@register_jitable
def _levels_ok(V, idx, k, targets):
    """Whether the units ``idx[:k]`` can be all but one of the units of a ReLU layer reading out every target.
    On a level set ``C`` of those units (points where all ``k`` agree), a readout is ``c + v h'`` with ``h'``
    the last unit, so a target true (or false) at one point ``p`` of ``C`` only needs ``h'(p)`` to be the
    strict maximum or minimum of ``h'`` on ``C``: at most two such points per level set."""
    N = V.shape[1]
    cls = np.zeros(N, dtype=np.int64)  # class of a point: its first point with the same values
    size = np.zeros(N, dtype=np.int64)
    for p in range(N):
        cls[p] = p
        for q in range(p):
            if cls[q] == q:
                same = True
                for j in range(k):
                    if V[idx[j], p] != V[idx[j], q]:
                        same = False
                        break
                if same:
                    cls[p] = q
                    break
        size[cls[p]] += 1
    special = np.zeros(N, dtype=np.bool_)
    on = np.zeros(N, dtype=np.int64)
    last_on = np.zeros(N, dtype=np.int64)
    last_off = np.zeros(N, dtype=np.int64)
    for t in range(targets.shape[0]):
        on[:] = 0
        for p in range(N):
            if (targets[t, p >> 6] >> np.uint64(p & 63)) & _ONE:
                on[cls[p]] += 1
                last_on[cls[p]] = p
            else:
                last_off[cls[p]] = p
        for c in range(N):
            if size[c] >= 3:
                if on[c] == 1:
                    special[last_on[c]] = True
                elif on[c] == size[c] - 1:
                    special[last_off[c]] = True
    count = np.zeros(N, dtype=np.int64)
    for p in range(N):
        if special[p]:
            count[cls[p]] += 1
            if count[cls[p]] > 2:
                return False
    return True


def _pair_level_filter(V, targets):
    """Per unit (row of ``V``): whether it passes ``_levels_ok`` alone, as each unit of a width-2 layer must."""
    keep = np.zeros(V.shape[0], dtype=np.bool_)
    idx = np.zeros(1, dtype=np.int64)
    for u in range(V.shape[0]):
        idx[0] = u
        keep[u] = _levels_ok(V, idx, 1, targets)
    return keep


def _canonical_values(V, P):
    """Per row of ``V`` (values on the N points), the lexicographically smallest ``V[u, P[g]]`` over the rows
    ``g`` of the point permutations ``P``: one representative per orbit of the input permutations."""
    U, N = V.shape
    out = np.zeros((U, N), dtype=V.dtype)
    for u in range(U):
        best = 0
        for g in range(1, P.shape[0]):
            for p in range(N):
                a = V[u, P[g, p]]
                c = V[u, P[best, p]]
                if a != c:
                    if a < c:
                        best = g
                    break
        for p in range(N):
            out[u, p] = V[u, P[best, p]]
    return out


# -------------------------------------------------------------------------------------------------
# step networks of 2 or 3 units by readout type: a bitmap over all 2^N functions (N = 2^k <= 32 points)


@register_jitable(inline="always")
def _mark(bits, f):
    bits[f >> _S6] |= _ONE << (f & _B63)


def _bitmap_pairs(T, bits):
    """Mark ``T[i] & T[j]`` (``i <= j``) in the bitmap ``bits`` (bit ``f`` = the function whose table is ``f``)."""
    F = T.shape[0]
    for i in range(F):
        a = T[i]
        for j in range(i, F):
            _mark(bits, a & T[j])


def _bitmap_triples(T, bits):
    """Mark every ``AND(a, b, c)``, ``MAJ(a, b, c)`` and ``a & (b | c)`` with ``a, b, c`` rows of ``T`` (the
    three NPN classes of threshold readouts of 3 bits that depend on all three; smaller ones are included
    with repeated rows)."""
    F = T.shape[0]
    for i in range(F):
        a = T[i]
        for j in range(i, F):
            b = T[j]
            ab = a & b
            for l in range(j, F):
                c = T[l]
                _mark(bits, ab & c)
                _mark(bits, ab | (a & c) | (b & c))
        for j in range(F):
            b = T[j]
            for l in range(j, F):
                _mark(bits, a & (b | T[l]))


def _complement_closure_count(bits, N):
    """``|B u {not f : f in B}|`` for the bitmap ``B`` of functions on ``N`` points (``N <= 32``)."""
    mask = (_ONE << np.uint64(N)) - _ONE
    total = np.int64(0)
    for f in range(np.int64(1) << np.int64(N)):
        u = np.uint64(f)
        g = mask ^ u
        if ((bits[u >> _S6] >> (u & _B63)) & _ONE) or ((bits[g >> _S6] >> (g & _B63)) & _ONE):
            total += 1
    return total


# -------------------------------------------------------------------------------------------------
# minimal total weight of each canonical threshold function


@register_jitable
def _index_new(rows):
    """A hash map from the distinct ``rows`` to their positions (open addressing, at most half full)."""
    cap = 16
    while cap < 2 * rows.shape[0]:
        cap *= 2
    keys = np.zeros((cap, rows.shape[1]), dtype=np.uint64)
    vals = np.full(cap, -1, dtype=np.int64)
    mask = np.uint64(cap - 1)
    for r in range(rows.shape[0]):
        slot = np.int64(_hash_row(rows[r]) & mask)
        while vals[slot] >= 0:
            slot = (slot + 1) & np.int64(mask)
        keys[slot] = rows[r]
        vals[slot] = r
    return keys, vals


@register_jitable
def _index_get(keys, vals, row):
    mask = np.uint64(keys.shape[0] - 1)
    slot = np.int64(_hash_row(row) & mask)
    while vals[slot] >= 0:
        same = True
        for i in range(row.shape[0]):
            if keys[slot, i] != row[i]:
                same = False
                break
        if same:
            return vals[slot]
        slot = (slot + 1) & np.int64(mask)
    return -1


def _min_total_weight(X, canon, s_max, best, W, T):
    """For every non-increasing ``w >= 0`` with ``sum(w) <= s_max`` and every cut ``[w.x >= t]``, the total
    weight ``sum(w) + |2t - 1 - sum(w)|`` (the weights of the self-dual majority form); keep in ``best[i]`` the
    smallest total seen for the canonical table ``canon[i]`` (``-1``: not seen yet), with a realising ``W[i]``,
    ``T[i]``. Returns the number of cuts missing from ``canon`` (0 unless ``canon`` is incomplete).

    Every cut of a non-increasing ``w >= 0`` is positive and regular in index order, so it is canonical; for a
    cut at sum level ``v`` the admissible thresholds are ``u < t <= v`` (``u`` the next lower sum) and the
    convex cost ``|2t - 1 - S|`` is smallest at ``t`` nearest ``(S + 1) / 2`` in that interval."""
    N, m = X.shape
    L = canon.shape[1]
    keys, vals = _index_new(canon)
    w = np.zeros(m, dtype=np.int64)
    sums = np.zeros(N, dtype=np.int64)
    buckets = np.zeros((s_max + 1, L), dtype=np.uint64)
    filled = np.zeros(s_max + 1, dtype=np.bool_)
    acc = np.zeros(L, dtype=np.uint64)
    missing = 0
    while True:
        S = np.int64(0)
        for i in range(m):
            S += w[i]
        for p in range(N):
            v = np.int64(0)
            for i in range(m):
                v += w[i] * X[p, i]
            sums[p] = v
            buckets[v, p >> 6] |= _ONE << np.uint64(p & 63)
            filled[v] = True
        for q in range(L):
            acc[q] = _ZERO
        v = S + 1  # the empty cut first (t = S + 1), then one cut per filled sum level, descending
        while v >= 0:
            if v <= S and not filled[v]:
                v -= 1
                continue
            if v <= S:
                for q in range(L):
                    acc[q] |= buckets[v, q]
                    buckets[v, q] = _ZERO
                filled[v] = False
            u = v - 1
            while u >= 0 and not filled[u]:
                u -= 1
            lo_t = u + 1 if u >= 0 else -S - 1  # below every sum: any t <= 0 gives the full cut
            hi_t = v
            best_cost = np.int64(-1)
            for t in (S // 2, S // 2 + 1, lo_t, hi_t):
                if t < lo_t or t > hi_t:
                    continue
                c = 2 * t - 1 - S
                c = -c if c < 0 else c
                if best_cost < 0 or c < best_cost:
                    best_cost = c
            idx = _index_get(keys, vals, acc)
            if idx < 0:
                missing += 1
            else:
                tot = S + best_cost
                if best[idx] < 0 or tot < best[idx]:
                    best[idx] = tot
                    W[idx] = w
                    tb = hi_t
                    for t in (S // 2, S // 2 + 1, lo_t, hi_t):
                        if t >= lo_t and t <= hi_t:
                            c = 2 * t - 1 - S
                            c = -c if c < 0 else c
                            if c == best_cost:
                                tb = t
                                break
                    T[idx] = tb
            v = u
        # next non-increasing vector with sum <= s_max (lexicographic odometer)
        j = m - 1
        while j >= 0:
            head = np.int64(0)
            for i in range(j):
                head += w[i]
            if (j == 0 or w[j] < w[j - 1]) and head + w[j] + 1 <= s_max:
                break
            j -= 1
        if j < 0:
            break
        w[j] += 1
        for i in range(j + 1, m):
            w[i] = 0
    return missing


# -------------------------------------------------------------------------------------------------
# generation of canonical threshold functions from k - 1: candidate pairs


def _pair_candidates(C, low, high, a, b, count_only):
    """Pairs ``(i, j)`` with ``a <= i < b`` of canonical functions of ``k - 1`` inputs (rows of ``C``) such
    that ``C[i] <= C[j]`` (``f0 <= f1``) and ``low[j] <= high[i]`` (``f1`` with ``x_{k-1} = 0`` below ``f0``
    with ``x_{k-1} = 1``). Returns their number when ``count_only``, else the ``(P, 2)`` pairs."""
    n, L = C.shape
    H = low.shape[1]
    total = 0
    out = np.zeros((0 if count_only else 1024, 2), dtype=np.int64)
    for i in range(a, b):
        for j in range(n):
            ok = True
            for q in range(L):
                if C[i, q] & ~C[j, q]:
                    ok = False
                    break
            if ok:
                for q in range(H):
                    if low[j, q] & ~high[i, q]:
                        ok = False
                        break
            if ok:
                if not count_only:
                    if total == out.shape[0]:
                        grown = np.zeros((2 * total, 2), dtype=np.int64)
                        grown[:total] = out
                        out = grown
                    out[total, 0] = i
                    out[total, 1] = j
                total += 1
    if count_only:
        return np.zeros((0, 2), dtype=np.int64), total
    return out[:total].copy(), total


@register_jitable
def _half_points(row, Np, kp, truth, extremal, out):
    """The points ``p`` with ``row[p] == truth`` (of a positive function of ``kp`` inputs) into ``out``, only
    the minimal true (``truth``) or maximal false ones when ``extremal``; returns their number."""
    n = 0
    for p in range(Np):
        if (row[p] != 0) != truth:
            continue
        keep = True
        if extremal:
            for c in range(kp):
                q = p ^ (1 << c)
                if truth and (p >> c) & 1 and row[q] != 0:
                    keep = False
                    break
                if (not truth) and not ((p >> c) & 1) and row[q] == 0:
                    keep = False
                    break
        if keep:
            out[n] = p
            n += 1
    return n


def _cheap_certify(bits, W_prev, pairs, Xp, X, mix):
    """For each candidate ``f = (bits[i] if x_k = 0, bits[j] if x_k = 1)`` of ``pairs``: status 1 with an
    integer realisation ``(W[r], T[r])`` when some ``a W_prev[i] + b W_prev[j]`` (``(a, b)`` rows of ``mix``)
    cuts both halves; else status 2 with true points ``p, q`` and false points ``u, v`` (``cert[r]``) such that
    ``X[p] + X[q] == X[u] + X[v]`` (2-summable: not threshold; found by the straddling sums of
    ``proofs/check_straddling_two_summability.py``); else status 0 (not 2-summable: the caller looks for a
    realisation). The caller re-checks every realisation and certificate exactly."""
    P = pairs.shape[0]
    Np, kp = Xp.shape
    N, k = X.shape
    status = np.zeros(P, dtype=np.int8)
    W = np.zeros((P, k), dtype=np.int64)
    T = np.zeros(P, dtype=np.int64)
    cert = np.zeros((P, 4), dtype=np.int64)
    w = np.zeros(kp, dtype=np.int64)
    f = np.zeros(N, dtype=np.bool_)
    n3 = np.int64(1)
    for c in range(kp):
        n3 *= 3
    code3 = np.zeros(Np, dtype=np.int64)  # point p as the base-3 number of its bits: sums never carry
    for p in range(Np):
        c3 = np.int64(1)
        for c in range(kp):
            code3[p] += ((p >> c) & 1) * c3
            c3 *= 3
    seen = np.zeros(n3, dtype=np.int64)  # per sum: r + 1 once marked for candidate r
    seen_a = np.zeros(n3, dtype=np.int64)
    seen_b = np.zeros(n3, dtype=np.int64)
    ea = np.zeros(Np, dtype=np.int64)
    eb = np.zeros(Np, dtype=np.int64)
    for r in range(P):
        i = pairs[r, 0]
        j = pairs[r, 1]
        for p in range(Np):
            f[p] = bits[i, p] != 0
            f[Np + p] = bits[j, p] != 0
        for m_ in range(mix.shape[0]):
            for c in range(kp):
                w[c] = mix[m_, 0] * W_prev[i, c] + mix[m_, 1] * W_prev[j, c]
            top = np.int64(-1)
            lo0 = np.int64(1) << 62
            lo1 = lo0
            hi0 = -lo0
            hi1 = -lo0
            for p in range(Np):
                sv = np.int64(0)
                for c in range(kp):
                    sv += w[c] * Xp[p, c]
                if sv > top:
                    top = sv
                if f[p]:
                    lo0 = min(lo0, sv)
                else:
                    hi0 = max(hi0, sv)
                if f[Np + p]:
                    lo1 = min(lo1, sv)
                else:
                    hi1 = max(hi1, sv)
            t0 = lo0 if lo0 < (np.int64(1) << 62) else top + 1
            t1 = lo1 if lo1 < (np.int64(1) << 62) else top + 1
            if hi0 < t0 and hi1 < t1:
                for c in range(kp):
                    W[r, c] = w[c]
                W[r, kp] = t0 - t1
                T[r] = t0
                status[r] = 1
                break
        if status[r] == 1:
            continue
        # 2-summable with x_k = 1 in exactly one point of each pair (the halves are threshold, so a witness
        # inside one half cannot exist): a + b == c + d with f0(a), f1(b) true and f0(c), f1(d) false
        # (points of k - 1 inputs; base-3 codes of the sums). Lowering c or d, a and b may be taken minimal
        # true; raising a or b, c and d may be taken maximal false: mark the sums of the extremal side,
        # then scan every pair of the other side (the smaller product).
        n0 = 0
        n1 = 0
        for p in range(Np):
            n0 += bits[i, p] != 0
            n1 += bits[j, p] != 0
        mark_true = (Np - n0) * (Np - n1) <= n0 * n1  # mark minimal true sums, scan false pairs
        na = _half_points(bits[i], Np, kp, mark_true, True, ea)
        nb = _half_points(bits[j], Np, kp, mark_true, True, eb)
        stamp = r + 1
        for u in range(na):
            for v in range(nb):
                s = code3[ea[u]] + code3[eb[v]]
                seen[s] = stamp
                seen_a[s] = ea[u]
                seen_b[s] = eb[v]
        na = _half_points(bits[i], Np, kp, not mark_true, False, ea)
        nb = _half_points(bits[j], Np, kp, not mark_true, False, eb)
        found = False
        for u in range(na):
            for v in range(nb):
                s = code3[ea[u]] + code3[eb[v]]
                if seen[s] == stamp:
                    if mark_true:
                        cert[r, 0], cert[r, 1], cert[r, 2], cert[r, 3] = seen_a[s], Np + seen_b[s], ea[u], Np + eb[v]
                    else:
                        cert[r, 0], cert[r, 1], cert[r, 2], cert[r, 3] = ea[u], Np + eb[v], seen_a[s], Np + seen_b[s]
                    found = True
                    break
            if found:
                break
        if found:
            status[r] = 2
    return status, W, T, cert


@register_jitable
def _shift_points(row, N, k, truth, out):
    """The true points (``truth``) of a function regular in index order (input ``c`` at least as strong as
    ``c + 1``) that turn false when a 1 is dropped or moved to the next weaker input, or the false points
    that turn true when a 0 is raised or a 1 moves to the next stronger input, into ``out``; their number.
    With ``w`` non-increasing these alone decide a cut: every other point is beaten by one of them."""
    n = 0
    for p in range(N):
        if (row[p] != 0) != truth:
            continue
        keep = True
        for c in range(k):
            if truth:
                q = p ^ (1 << c) if (p >> c) & 1 else -1
                s = p ^ (3 << c) if c + 1 < k and (p >> c) & 1 and not (p >> (c + 1)) & 1 else -1
            else:
                q = p | (1 << c) if not (p >> c) & 1 else -1
                s = p ^ (3 << c) if c + 1 < k and not (p >> c) & 1 and (p >> (c + 1)) & 1 else -1
            if (q >= 0 and (row[q] != 0) == truth) or (s >= 0 and (row[s] != 0) == truth):
                keep = False
                break
        if keep:
            out[n] = p
            n += 1
    return n


@register_jitable
def _entering(red, limit, bland, eps):
    """The entering column among ``red[:limit]``: the most negative reduced cost (Dantzig), or the first
    negative one when ``bland``; ``-1`` when none is below ``-eps`` (optimal)."""
    enter = -1
    for c in range(limit):
        if red[c] < -eps and (enter < 0 or (not bland and red[c] < red[enter])):
            enter = c
            if bland:
                break
    return enter


@register_jitable
def _leaving(tab, basis, enter, eps):
    """The leaving row of the ratio test on column ``enter`` (ties to the smallest basic variable, Bland's
    rule); ``-1`` when the column is unbounded."""
    cols = tab.shape[1] - 1
    leave = -1
    best = 0.0
    for q in range(tab.shape[0]):
        if tab[q, enter] > eps:
            ratio = tab[q, cols] / tab[q, enter]
            if leave < 0 or ratio < best - eps or (ratio <= best + eps and basis[q] < basis[leave]):
                leave = q
                best = ratio
    return leave


@register_jitable
def _pivot(tab, basis, leave, enter, red, red2):
    """One simplex pivot on ``tab[leave, enter]``: scale the pivot row to 1, eliminate the column from the
    other rows and from the reduced-cost rows ``red`` and ``red2`` (``None``: only one), enter the basis.
    Shared by the simplex kernels so every pivot does the same float operations in the same order."""
    cols1 = tab.shape[1]
    pv = tab[leave, enter]
    for c in range(cols1):
        tab[leave, c] /= pv
    for q in range(tab.shape[0]):
        if q != leave and tab[q, enter] != 0.0:
            fac = tab[q, enter]
            for c in range(cols1):
                tab[q, c] -= fac * tab[leave, c]
    fac = red[enter]
    for c in range(cols1):
        red[c] -= fac * tab[leave, c]
    if red2 is not None:
        fac = red2[enter]
        for c in range(cols1):
            red2[c] -= fac * tab[leave, c]
    basis[leave] = enter


def _simplex_realise(fbits, X, max_pivots):
    """A proposed integer realisation of each positive function ``fbits[r]`` regular in index order (over the
    points ``X``): a dense phase-1 simplex in floats (Dantzig's rule, Bland's after ``max_pivots // 2``
    pivots, at most ``max_pivots``) finds ``w_1 >= ... >= w_k >= 0, t`` with ``x.w >= t`` on the
    shift-minimal true points and ``y.w <= t - (k + 1)`` on the shift-maximal false ones (``_shift_points``);
    with that margin rounding ``w`` cannot break the cut, so ``W = rint(w)``, ``T = min(x.W)`` over true
    points is checked on every point here (status 1). Status 0: no proposal (not threshold, not regular,
    degenerate or out of pivots; the caller decides with an exact LP). Only a proposal: the caller re-checks
    every realisation exactly."""
    P, N = fbits.shape
    k = X.shape[1]
    status = np.zeros(P, dtype=np.int8)
    W = np.zeros((P, k), dtype=np.int64)
    T = np.zeros(P, dtype=np.int64)
    pts = np.zeros(N + k, dtype=np.int64)
    margin = float(k + 1)
    eps = 1e-9
    for r in range(P):
        row = fbits[r]
        if row[0] != 0:  # positive and true at 0: constant 1
            T[r] = 0
            status[r] = 1
            continue
        nt = _shift_points(row, N, k, True, pts)
        if nt == 0:  # constant 0
            T[r] = 1
            status[r] = 1
            continue
        nf = _shift_points(row, N, k, False, pts[nt:])
        no = k - 1  # order rows w_c - w_{c+1} >= 0, kept like the true rows (right-hand side 0)
        m = nt + no + nf
        n = k + 1  # w_0 .. w_{k-1}, t (t >= 1 since the zero point is false)
        cols = n + m + nf
        tab = np.zeros((m, cols + 1))
        basis = np.zeros(m, dtype=np.int64)
        for q in range(m):
            if q < nt:  # true: -x.w + t + s = 0
                for c in range(k):
                    tab[q, c] = -float(X[pts[q], c])
                tab[q, k] = 1.0
                tab[q, n + q] = 1.0
                basis[q] = n + q
            elif q < nt + no:  # order: -w_c + w_{c+1} + s = 0
                c = q - nt
                tab[q, c] = -1.0
                tab[q, c + 1] = 1.0
                tab[q, n + q] = 1.0
                basis[q] = n + q
            else:  # false: t - y.w - s + a = margin
                y = pts[q - no]
                for c in range(k):
                    tab[q, c] = -float(X[y, c])
                tab[q, k] = 1.0
                tab[q, n + q] = -1.0
                tab[q, n + m + q - nt - no] = 1.0
                tab[q, cols] = margin
                basis[q] = n + m + q - nt - no
        red = np.zeros(cols + 1)  # reduced costs of min sum(artificials); red[cols] = -objective
        for q in range(nt + no, m):
            for c in range(n + m):
                red[c] -= tab[q, c]
            red[cols] -= tab[q, cols]
        pivots = 0
        while pivots < max_pivots:
            # Dantzig's rule first, Bland's (no cycling) after
            enter = _entering(red, cols, pivots >= max_pivots // 2, eps)
            if enter < 0:
                break
            leave = _leaving(tab, basis, enter, eps)
            if leave < 0:
                break  # unbounded cannot happen in phase 1; give up
            _pivot(tab, basis, leave, enter, red, None)
            pivots += 1
        if -red[cols] > 1e-7:
            continue
        wf = np.zeros(n)
        for q in range(m):
            if basis[q] < n:
                wf[basis[q]] = tab[q, cols]
        lo = np.int64(1) << 62
        hi = -lo
        for p in range(N):
            sv = np.int64(0)
            for c in range(k):
                sv += np.int64(np.rint(wf[c])) * X[p, c]
            if row[p] != 0:
                lo = min(lo, sv)
            else:
                hi = max(hi, sv)
        if hi < lo:
            for c in range(k):
                W[r, c] = np.int64(np.rint(wf[c]))
            T[r] = lo
            status[r] = 1
    return status, W, T



def _min_weight_lp(fbits, X, max_pivots):
    """Bounds on the minimal total weight ``sum(w) + |2t - 1 - sum(w)|`` of each positive function
    ``fbits[r]`` regular in index order, from the LP relaxation (margin 1): minimise ``u`` with
    ``u >= 2t - 1``, ``u >= 2 sum(w) + 1 - 2t``, ``x.w >= t`` on the shift-minimal true points, ``y.w <= t - 1``
    on the shift-maximal false ones and ``w_1 >= ... >= w_k >= 0``, solved by a dense two-phase simplex in
    floats (Dantzig's rule, Bland's after ``max_pivots // 2`` pivots, at most ``max_pivots`` per phase).

    Lower bound: the float duals are scaled by ``2^20`` and rounded to integers ``cert[r, p]`` (the multiplier
    of point ``p``'s row) and ``cert[r, N + c]`` (of the order row ``w_c >= w_{c+1}``), and the smallest
    denominator ``D[r] >= 2^20`` that makes them a valid certificate is computed in exact integers (see
    ``capacity.threshold.check_weight_certificates``, which re-checks it); ``lo[r]`` is the smallest odd integer
    ``>= (A + B) / (2 D)``. Upper bound: ``W = rint(w)`` with the best threshold, checked on every point here;
    ``hi[r]`` its total. ``-1``: no bound (simplex out of pivots, or the rounding is not a realisation)."""
    P, N = fbits.shape
    k = X.shape[1]
    lo = np.full(P, -1, dtype=np.int64)
    hi = np.full(P, -1, dtype=np.int64)
    W = np.zeros((P, k), dtype=np.int64)
    T = np.zeros(P, dtype=np.int64)
    cert = np.zeros((P, N + k), dtype=np.int64)
    D = np.zeros(P, dtype=np.int64)
    pts = np.zeros(N, dtype=np.int64)
    eps = 1e-9
    scale = float(1 << 20)
    for r in range(P):
        row = fbits[r]
        if row[0] != 0:  # constant 1: [0 >= 0], total 1; bound: every total is odd, so >= 1
            lo[r] = 1
            hi[r] = 1
            D[r] = 1
            continue
        nt = _shift_points(row, N, k, True, pts)
        if nt == 0:  # constant 0: [0 >= 1], total 1
            T[r] = 1
            lo[r] = 1
            hi[r] = 1
            D[r] = 1
            continue
        nf = _shift_points(row, N, k, False, pts[nt:])
        no = k - 1
        m = nt + no + 1 + nf + 1  # true, order, u >= 2t - 1, false, u >= 2S + 1 - 2t
        n = k + 2  # w_0 .. w_{k-1}, t, u (all >= 0: t >= 1 since the zero point is false)
        na = nf + 1  # artificials of the ">=" rows
        cols = n + m + na
        tab = np.zeros((m, cols + 1))
        basis = np.zeros(m, dtype=np.int64)
        for q in range(m):
            if q < nt:  # -x.w + t + s = 0
                for c in range(k):
                    tab[q, c] = -float(X[pts[q], c])
                tab[q, k] = 1.0
            elif q < nt + no:  # -w_c + w_{c+1} + s = 0
                c = q - nt
                tab[q, c] = -1.0
                tab[q, c + 1] = 1.0
            elif q == nt + no:  # 2t - u + s = 1
                tab[q, k] = 2.0
                tab[q, k + 1] = -1.0
                tab[q, cols] = 1.0
            elif q < m - 1:  # t - y.w - s + a = 1
                y = pts[q - no - 1]
                for c in range(k):
                    tab[q, c] = -float(X[y, c])
                tab[q, k] = 1.0
                tab[q, cols] = 1.0
            else:  # u - 2 sum(w) + 2t - s + a = 1
                for c in range(k):
                    tab[q, c] = -2.0
                tab[q, k] = 2.0
                tab[q, k + 1] = 1.0
                tab[q, cols] = 1.0
            if q <= nt + no:
                tab[q, n + q] = 1.0
                basis[q] = n + q
            else:
                tab[q, n + q] = -1.0
                tab[q, n + m + q - nt - no - 1] = 1.0
                basis[q] = n + m + q - nt - no - 1
        red1 = np.zeros(cols + 1)  # phase 1: min sum(artificials)
        for q in range(nt + no + 1, m):
            for c in range(n + m):
                red1[c] -= tab[q, c]
            red1[cols] -= tab[q, cols]
        red2 = np.zeros(cols + 1)  # phase 2: min u
        red2[k + 1] = 1.0
        ok = True
        for phase in (1, 2):
            pivots = 0
            while True:
                red = red1 if phase == 1 else red2
                limit = cols if phase == 1 else n + m  # artificials never re-enter in phase 2
                enter = _entering(red, limit, pivots >= max_pivots // 2, eps)
                if enter < 0:
                    break
                if pivots >= max_pivots:
                    ok = False
                    break
                leave = _leaving(tab, basis, enter, eps)
                if leave < 0:
                    ok = False
                    break
                _pivot(tab, basis, leave, enter, red1, red2)
                pivots += 1
            if not ok:
                break
            if phase == 1:
                if -red1[cols] > 1e-7:
                    ok = False
                    break
                for q in range(m):  # drive artificials at level 0 out of the basis
                    if basis[q] >= n + m:
                        for c in range(n + m):
                            if abs(tab[q, c]) > 1e-7:
                                _pivot(tab, basis, q, c, red2, None)
                                break
        if not ok:
            continue
        # lower bound: the duals are the reduced costs of the slack / surplus columns, scaled and rounded
        A = np.int64(0)
        B = np.int64(0)
        for q in range(m):
            if q == nt + no or q == m - 1:
                continue
            v = np.int64(np.rint(max(red2[n + q], 0.0) * scale))
            if q < nt:
                cert[r, pts[q]] = v
                A += v
            elif q < nt + no:
                cert[r, N + q - nt] = v
            else:
                cert[r, pts[q - no - 1]] = v
                B += v
        need = np.int64(1 << 20)
        for c in range(k):  # 2 L_c + (B - A) <= 2 D, L_c = sum a x_c - sum b y_c + r_c - r_{c-1}
            L = np.int64(0)
            for p in range(N):
                if X[p, c] != 0:
                    L += cert[r, p] if row[p] != 0 else -cert[r, p]
            L += cert[r, N + c] if c < k - 1 else 0
            L -= cert[r, N + c - 1] if c > 0 else 0
            two_d = 2 * L + B - A
            if (two_d + 1) // 2 > need:
                need = (two_d + 1) // 2
        gap = B - A if B >= A else A - B
        if (gap + 1) // 2 > need:
            need = (gap + 1) // 2
        D[r] = need
        num = A + B  # lower bound (A + B) / (2 D): its ceiling, made odd
        c0 = (num + 2 * need - 1) // (2 * need)
        lo[r] = c0 if c0 % 2 == 1 else c0 + 1
        # upper bound: the rounded primal, checked on every point, with the best threshold
        S = np.int64(0)
        for c in range(k):
            W[r, c] = 0
        for q in range(m):
            if basis[q] < k:
                W[r, basis[q]] = np.int64(np.rint(tab[q, cols]))
        for c in range(k):
            S += W[r, c]
        lt = np.int64(1) << 62
        hf = -lt
        for p in range(N):
            sv = np.int64(0)
            for c in range(k):
                sv += W[r, c] * X[p, c]
            if row[p] != 0:
                lt = min(lt, sv)
            else:
                hf = max(hf, sv)
        if hf < lt:
            t = (S + 1) // 2  # |2t - 1 - S| is smallest at t nearest (S + 1) / 2 in (hf, lt]
            t = min(max(t, hf + 1), lt)
            c1 = 2 * t - 1 - S
            c1 = -c1 if c1 < 0 else c1
            t2 = min(max(t + 1, hf + 1), lt)
            c2 = 2 * t2 - 1 - S
            c2 = -c2 if c2 < 0 else c2
            if c2 < c1:
                t, c1 = t2, c2
            T[r] = t
            hi[r] = S + c1
    return lo, hi, W, T, cert, D


# -------------------------------------------------------------------------------------------------
# compile: helpers are register_jitable (plain Python when called from Python, inlined under Numba)

TWINS = {
    "popcount": _popcount,
    "scan_sorted": _scan_sorted,
    "orbit_sizes": _orbit_sizes,
    "expand_orbits": _expand_orbits,
    "unit_box": _unit_box,
    "combos_step": _combos_step,
    "combos_relu": _combos_relu,
    "pair_level_filter": _pair_level_filter,
    "canonical_values": _canonical_values,
    "bitmap_pairs": _bitmap_pairs,
    "bitmap_triples": _bitmap_triples,
    "complement_closure_count": _complement_closure_count,
    "min_total_weight": _min_total_weight,
    "pair_candidates": _pair_candidates,
    "cheap_certify": _cheap_certify,
    "simplex_realise": _simplex_realise,
    "min_weight_lp": _min_weight_lp,
}

_jit = njit(cache=_CACHE, nogil=True)
KERNELS = {name: _jit(fn) for name, fn in TWINS.items()}
