"""``method="enumerate"``: decide a problem by exhaustive enumeration of hidden layers (the Numba core).

Every hidden layer of the class is visited up to the symmetries of :mod:`capacity.enumeration` (hidden units
as multisets of behaviours, step units up to complement); for each, the kernel asks whether every feature is
a readout of it. The first hit is rebuilt into a witness and verified exactly; visiting them all without a hit
is the certificate (kind ``enumeration``). A time limit stops the kernels inside their chunks (a timer sets
their stop flags); the answer is then UNKNOWN.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np

from ..enumeration import (
    _MAX_STEP_WIDTH,
    _prefix_chunks,
    _Slots,
    _kernels,
    _readouts_relu,
    _readouts_step,
    _run,
    _slots,
    integer_class,
)
from ..errors import CapacityError
from ..network import Network
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["solve", "best_subset"]


def _search(problem: Problem, mode: int, time_limit, backend, threads, progress):
    """Visit hidden layers (kernel ``mode`` 1: first that reads out every feature; 2: the one reading out the
    most). Returns ``(hit, complete, context, info)``."""
    t0 = time.perf_counter()
    dom, n, act = problem.domain, problem.d_hidden, problem.activation
    F, L = problem.n_features, dom.words
    if act == "step" and n > _MAX_STEP_WIDTH:
        raise CapacityError(f"method 'enumerate' supports at most {_MAX_STEP_WIDTH} step units, got {n}")
    K_in, K_out = integer_class(dom.m, n, F, act, problem.weight_bound, problem.code)
    kern = _kernels(backend)
    threads = threads or int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count() or 1
    code = problem.code
    S_out = problem.readout_code()  # (F, n) or None
    sl, starts, pruned, symmetric, complement = _units(problem, mode, backend)
    sign_mode = "sign" if code is None else code.mode
    rows = [None if S_out is None else S_out[f][sl.order] for f in range(F)]
    blocks, g_lo, g_hi, where = [], [], [], {}
    for f in range(F):  # one block of readouts per distinct readout sign row
        key = None if rows[f] is None else rows[f].tobytes()
        if key not in where:
            if act == "step":
                blk = _readouts_step(n, K_out, problem.nonnegative, rows[f], sign_mode, kern)
            else:
                R = _readouts_relu(n, K_out, problem.nonnegative, rows[f], sign_mode)
                blk = (R, R, None)
            start = sum(len(b[0]) for b in blocks)
            where[key] = (start, start + len(blk[0]))
            blocks.append(blk)
        g_lo.append(where[key][0])
        g_hi.append(where[key][1])
    g_lo, g_hi = np.array(g_lo, np.int64), np.array(g_hi, np.int64)
    G = np.ascontiguousarray(np.vstack([b[0] for b in blocks]))
    targets = problem.features.tables
    if act == "step":
        valid = dom.pack(np.ones(dom.size, bool))
        fn, extra = kern["combos_step"], (G, valid)
    else:
        fn, extra = kern["combos_relu"], (G, L)
    chunks = _prefix_chunks(sl, starts)
    # one stop flag per chunk, polled inside the kernel: all are set at the deadline, and those after a chunk
    # that answered the question are set by that chunk (earlier chunks run on, so the answer is the first hit)
    flags = [np.zeros(1, np.int8) for _ in chunks]
    late = [False]

    def halt(after=-1):
        for f in flags[after + 1:]:
            f.fill(1)

    def on_deadline():
        late[0] = True
        halt()

    def job(i, c):
        if flags[i][0]:
            return None
        out = fn(sl.rows, sl.first, sl.last, sl.tie, c, *extra, targets, g_lo, g_hi, mode, flags[i])[1]
        if len(out) and (mode == 1 or out[-1] == F):
            halt(i)
            return out
        return None if flags[i][0] else out  # a stopped chunk is never read as complete

    timer = None
    if time_limit is not None:
        left = t0 + float(time_limit) - time.perf_counter()
        timer = threading.Timer(min(max(0.0, left), threading.TIMEOUT_MAX / 2), on_deadline)
        timer.daemon = True
        timer.start()
    try:
        results = _run(job, list(enumerate(chunks)), threads, progress, "hidden layers", lambda: late[0],
                       on_abort=halt)
    finally:
        if timer is not None:
            timer.cancel()
    hit, done = None, 0
    for out in results:
        if out is None:
            break
        done += 1
        if mode == 1 and len(out):
            hit = out
            break
        if mode == 2 and len(out) and (hit is None or out[-1] > hit[-1]):
            hit = out
            if out[-1] == F:
                break
    complete = done == len(chunks) or (hit is not None and (mode == 1 or hit[-1] == F))
    info = {"unit_behaviours": int(len(sl.rows)) + pruned, "units_pruned": pruned,
            "first_unit_choices": len(starts), "K_in": K_in, "K_out": K_out, "complement": complement,
            "input_permutations": symmetric}
    return hit, complete, (sl, blocks), info


_PREPARED: dict = {}  # the last few width-2 unit lists (``pair_count`` and ``solve`` on one problem share one)


def _units(problem: Problem, mode: int, backend: str):
    """The hidden-unit behaviours to combine, in visiting order, and the first units to try: every behaviour
    of the class (:func:`capacity.enumeration._slots`); for width-2 ReLU searches for all features, only the
    units passing ``pair_level_filter``; and with a permutation-invariant feature set and no code, orbit
    blocks whose leaders are the only first units. Returns ``(slots, starts, pruned, symmetric, complement)``."""
    dom, n, act, code = problem.domain, problem.d_hidden, problem.activation, problem.code
    key = (dom, n, act, problem.weight_bound, problem.nonnegative, mode, backend,
           problem.features.tables.tobytes(), None if code is None else repr(code.to_dict()))
    if key in _PREPARED:
        return _PREPARED[key]
    kern = _kernels(backend)
    K_in, _ = integer_class(dom.m, n, problem.n_features, act, problem.weight_bound, code)
    S_out = problem.readout_code()
    complement = act == "step" and code is None and not problem.nonnegative
    sl = _slots(dom, n, act, K_in, problem.nonnegative, code, S_out, kern, complement)
    pruned = 0
    if act == "relu" and n == 2 and mode == 1:
        keep = kern["pair_level_filter"](sl.rows, problem.features.tables)
        pruned = int(len(keep) - keep.sum())
        sl = _keep_units(sl, keep)
    starts = list(range(sl.first[0], sl.last[0]))
    symmetric = code is None and problem.features.permutation_invariant()
    if symmetric:
        sl, starts = _orbit_blocks(dom, sl) if act == "step" else _value_orbit_blocks(dom, sl, kern)
    out = (sl, starts, pruned, symmetric, complement)
    if n == 2 and mode == 1:  # what pair_count computes for auto; larger lists are not worth holding on to
        if len(_PREPARED) >= 4:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[key] = out
    return out


def pair_count(problem: Problem, backend: str = "numba") -> int:
    """How many unit pairs :func:`solve` tests on a width-2 integer ReLU problem (after the level-set filter
    and the orbit blocks): an exact, machine-independent measure of its work, which ``auto`` uses to decide
    whether to enumerate."""
    if problem.activation != "relu" or problem.d_hidden != 2:
        raise CapacityError("pair_count is for width-2 ReLU problems")
    sl, starts, *_ = _units(problem, 1, backend)
    lo = np.asarray(starts, dtype=np.int64) if sl.tie[1] else np.full(len(starts), sl.first[1], np.int64)
    return int(np.maximum(sl.last[1] - lo, 0).sum())


def solve(problem: Problem, *, time_limit: float | None = None, seed: int = 0, backend: str = "numba",
          threads: int | None = None, progress: bool = False) -> Result:
    """Exhaustive search over hidden layers; see the module docstring."""
    t0 = time.perf_counter()
    hit, complete, ctx, info = _search(problem, 1, time_limit, backend, threads, progress)
    seconds = time.perf_counter() - t0
    if hit is not None:
        net = _witness(problem, *ctx, hit)
        ok, why = verify_witness(problem, net)
        if not ok:
            raise RuntimeError(f"enumerate produced a witness that fails verification ({why}): a bug")
        return Result(Status.REPRESENTABLE, problem, "enumerate", time.perf_counter() - t0, net, None, info)
    if not complete:
        return Result(Status.UNKNOWN, problem, "enumerate", seconds, info={**info, "reason": "time limit"})
    return Result(Status.NOT_REPRESENTABLE, problem, "enumerate", seconds, None, _certificate(problem, info), info)


def _certificate(problem, info) -> Certificate:
    pruned = f", after ruling out {info['units_pruned']} units by their level sets" if info["units_pruned"] else ""
    return Certificate("enumeration", True, f"every hidden layer of the class visited ({info['unit_behaviours']} "
                       f"unit behaviours, units as multisets{', up to complement' if info['complement'] else ''}"
                       f"{', up to input permutations' if info['input_permutations'] else ''}{pruned})")


def _keep_units(sl, keep):
    """The slots with only the behaviours ``keep`` marks (each class's range shrunk to its kept rows)."""
    keep = np.asarray(keep, dtype=bool)
    before = np.concatenate([[0], np.cumsum(keep)])
    return _Slots(sl.order, before[sl.first], before[sl.last], sl.tie, np.ascontiguousarray(sl.rows[keep]),
                  sl.W[keep], sl.T[keep])


def _value_orbit_blocks(dom, sl, kern):
    """ReLU units: reorder the behaviours into blocks of input-permutation orbits, each led by its
    lexicographically smallest value vector, and return the leaders as the only first units to try. The
    argument of :func:`_orbit_blocks` applies (a multiset's smallest member is mapped onto its block's
    leader by a permutation that keeps every unit in its block); it needs one class of units whose
    behaviours are closed under input permutations: a box without code, and a unit filter that is itself
    invariant (``pair_level_filter`` is, for a permutation-invariant feature set)."""
    if len(sl.first) > 1 and not sl.tie[1:].all():
        return sl, list(range(sl.first[0], sl.last[0]))
    from ..enumeration import point_permutations

    V = sl.rows  # one class of units: its behaviours are all the rows
    canon = kern["canonical_values"](V, point_permutations(dom, False))
    _, orbit = np.unique(canon, axis=0, return_inverse=True)
    orbit = orbit.reshape(-1)
    lead = np.flatnonzero((canon == V).all(axis=1))  # one member equals its orbit's canonical row
    if len(lead) != orbit.max(initial=-1) + 1:  # pragma: no cover - the behaviours are closed under permutations
        raise RuntimeError("ReLU behaviours not closed under input permutations: a bug")
    sizes = np.bincount(orbit)
    is_lead = np.zeros(len(V), bool)
    is_lead[lead] = True
    # blocks largest first, each its leader and then the other members in their old order
    perm = np.lexsort((np.arange(len(V)), ~is_lead, orbit, -sizes[orbit]))
    starts = np.flatnonzero(is_lead[perm]).tolist()
    return _Slots(sl.order, sl.first, sl.last, sl.tie, np.ascontiguousarray(V[perm]), sl.W[perm], sl.T[perm]), starts


def _orbit_blocks(dom, sl):
    """Reorder the (single class of) step-unit behaviours into blocks of input-permutation orbits, largest
    first, each block led by its member with non-increasing weights, and return the block leaders as the
    only first units to try.

    Why this is exhaustive when the feature set is permutation invariant: take any multiset M of units and
    its smallest member u (in this order), in block B. A permutation g maps u to B's leader; g maps every
    unit into its own block, so g(M) has its smallest member in B, and that member is the leader, the
    first element of B. The network g(M) computes the permuted features, i.e. the same set. Threshold units
    have exactly one member per orbit realisable with non-increasing weights (proofs/check_threshold_orbits.py),
    and sorting any realisation of a unit gives that member, so the leader is computed from the stored
    realisation of each unit without searching the group."""
    if not (sl.tie[1:].all() if len(sl.tie) > 1 else True):
        return sl, list(range(sl.first[0], sl.last[0]))
    pts = dom.points.astype(np.int64)
    W_sorted = -np.sort(-sl.W, axis=1)
    canon = dom.pack((pts @ W_sorted.T >= sl.T[None, :]).T)  # (units, words)
    keys = [row.tobytes() for row in canon]
    own = [row.tobytes() for row in sl.rows]
    groups: dict[bytes, list[int]] = {}
    for i, k in enumerate(keys):
        groups.setdefault(k, []).append(i)
    order = []
    for k, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lead = [i for i in members if own[i] == k]
        if len(lead) != 1:  # not a threshold-unit table as expected: fall back to no input symmetry
            return sl, list(range(sl.first[0], sl.last[0]))
        order.append((lead[0], [i for i in members if i != lead[0]]))
    perm, starts = [], []
    for lead, rest in order:
        starts.append(len(perm))
        perm += [lead] + rest
    perm = np.array(perm, dtype=np.int64)
    new = _Slots(sl.order, sl.first, sl.last, sl.tie, np.ascontiguousarray(sl.rows[perm]), sl.W[perm], sl.T[perm])
    return new, starts


def best_subset(problem: Problem, *, time_limit: float | None = None, backend: str = "numba",
                threads: int | None = None, progress: bool = False):
    """The largest subset of the problem's features one hidden layer of the class computes at once.

    Returns ``(chosen, witness, complete, info)``: feature indices, a verified witness network for them (one
    output per chosen feature), and whether every hidden layer was visited (so that ``len(chosen)`` is the
    proven maximum)."""
    hit, complete, (sl, blocks), info = _search(problem, 2, time_limit, backend, threads, progress)
    if hit is None or hit[-1] <= 0:
        return (), None, complete, info
    F, n = problem.n_features, problem.d_hidden
    chosen = tuple(int(i) for i in np.flatnonzero(hit[n:n + F] >= 0))
    sub = Problem(problem.features.select(list(chosen)), n, problem.activation, problem.weight_bound,
                  problem.nonnegative, _sub_code(problem, chosen), problem.seed)
    net = _witness(sub, sl, blocks, np.concatenate([hit[:n], hit[n:n + F][list(chosen)]]))
    ok, why = verify_witness(sub, net)
    if not ok:
        raise RuntimeError(f"enumerate produced a witness that fails verification ({why}): a bug")
    return chosen, net, complete, info


def _sub_code(problem, chosen):
    c = problem.code
    if c is None or c.S_out is None or c.S_out.shape[0] == 1:
        return c
    from ..codes import Code

    return Code(c.S_in, c.S_b_in, c.S_out[list(chosen)], c.mode)


def _witness(problem, sl, blocks, result) -> Network:
    """Rebuild the network from unit indices and readout indices."""
    n, F, dom, act = problem.d_hidden, problem.n_features, problem.domain, problem.activation
    idx, pick = result[:n], result[n:n + F]
    W_in = np.zeros((n, dom.m), np.int64)
    b_in = np.zeros(n, np.int64)
    for j in range(n):
        W_in[sl.order[j]] = sl.W[idx[j]]
        b_in[sl.order[j]] = -sl.T[idx[j]]
    W_out = np.zeros((F, n), np.int64)
    b_out = np.zeros(F, np.int64)
    flat_v = np.vstack([b[1] for b in blocks])
    bits = problem.features.bits
    if act == "relu":
        H = np.stack([sl.rows[idx[j]].astype(np.int64) for j in range(n)], axis=1)  # (N, n) slot order
    for f in range(F):
        v = flat_v[pick[f]]
        if act == "step":
            flat_t = np.concatenate([b[2] for b in blocks])
            t = flat_t[pick[f]]
        else:
            y0 = H @ v
            on = y0[bits[f]]
            t = int(on.min()) if on.size else int(y0.max()) + 1
        for j in range(n):
            W_out[f, sl.order[j]] = v[j]
        b_out[f] = -t
    return Network(W_in, b_in, W_out, b_out, act)
