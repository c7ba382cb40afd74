"""``method="enumerate"`` honours its time limit and its memory on any class (issue 17, item 2): the combos
kernels poll a stop flag inside a chunk, and prefixes never list more than ``_MAX_PAIR_ROWS`` slot pairs."""

import math
import resource
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import capacity.enumeration as E
from capacity import Domain, Problem, from_spec
from capacity._kernels import KERNELS, TWINS
from capacity.features import FeatureSet
from capacity.network import Network
from capacity.solvers import enumerate as en

BIG = Problem(from_spec(Domain(5, sparsity=2), "pairs"), 3, "relu", 3)  # ~76k ReLU unit behaviours, ~7e13 triples


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """Compile (or load from Numba's cache) both combos kernels, so the timings below measure the search."""
    for act in ("relu", "step"):
        en.solve(Problem(from_spec(Domain(2), "x0 ^ x1"), 2, act, 1))


def _old_prefix_chunks(sl, starts, n_chunks=2048):
    """The prefixes as cut before this fix (every (first, second) pair listed): the reference visiting order."""
    n = len(sl.first)
    if n == 1:
        rows = np.array(list(starts), dtype=np.int64).reshape(-1, 1)
        work = np.ones(len(rows))
    else:
        rows = np.array([(s, s2) for s in starts for s2 in range(s if sl.tie[1] else sl.first[1], sl.last[1])],
                        dtype=np.int64).reshape(-1, 2)
        k = n - 2
        work = (sl.last[-1] - rows[:, 1] + 1).astype(float) ** k / math.factorial(k) if k else np.ones(len(rows))
    if len(rows) == 0:
        return []
    cum = np.cumsum(work)
    cut = np.searchsorted(cum, np.linspace(0, cum[-1], n_chunks + 1)[1:-1], side="right")
    return [c for c in np.split(rows, np.unique(cut)) if len(c)]


def test_time_limit_holds_on_a_huge_relu_class():
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    r = en.solve(BIG, time_limit=3)
    wall = time.perf_counter() - t
    assert r.status.value == "UNKNOWN" and r.info["reason"] == "time limit"
    assert 3 <= wall < 5
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024 < 500  # kB -> MB


def test_best_subset_time_limit_holds():
    t = time.perf_counter()
    chosen, net, complete, _ = en.best_subset(BIG, time_limit=2)
    assert not complete and time.perf_counter() - t < 4


def test_cli_min_width_enumerate_exits_unknown_in_time():
    cmd = [sys.executable, "-m", "capacity", "min-width", "--inputs", "5", "--sparsity", "2", "--features", "pairs",
           "--activation", "relu", "--weight-bound", "3", "--method", "enumerate", "--time-limit", "3",
           "--no-progress"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "UNKNOWN" in proc.stdout and time.perf_counter() - t < 8


def test_prefixes_of_a_huge_class_cost_memory_per_chunk_not_per_pair():
    big = 10**6  # 5e11 tied pairs: listing them would need 8 TB
    sl = E._Slots(np.arange(3), np.zeros(3, np.int64), np.full(3, big), np.array([False, True, True]),
                  np.zeros((0, 1), np.uint64), None, None)
    chunks = E._prefix_chunks(sl, range(big))
    assert 1000 < len(chunks) <= 2048 and all(c.shape[1] == 1 for c in chunks)
    assert np.array_equal(np.concatenate(chunks).ravel(), np.arange(big))  # every first unit, in order, once


def _problems():
    """Small classes. Most features are planted by a random network of the class: each hidden unit's own
    function (readout ``e_j``, bias -1) and two random readouts, so witnesses exist deep in the visiting order;
    every fifth problem has random features."""
    out = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        for d, n, act in ((Domain(3), 2, "relu"), (Domain(3), 3, "step"), (Domain(3), 3, "relu"),
                          (Domain(4, sparsity=2), 2, "relu")):
            W_out = np.vstack([np.eye(n, dtype=np.int64), rng.integers(-1, 2, (2, n))])
            b_out = np.concatenate([np.full(n, -1), rng.integers(-2, 3, 2)])
            net = Network(rng.integers(-1, 2, (n, d.m)), rng.integers(-2, 3, n), W_out, b_out, act)
            out.append(Problem(FeatureSet.from_bits(d, net.outputs(d).T), n, act, 1))
        out.append(Problem(FeatureSet.from_bits(Domain(3), rng.random((2, 8)) < 0.5), 2, "relu", 1))
    return out


def test_first_slot_prefixes_find_the_same_witness_as_the_old_pair_prefixes(monkeypatch):
    """Three ways to cut the same search: the old listing of all pairs, today's pairs, and first-slot rows
    only (forced with ``_MAX_PAIR_ROWS = 0``). The search is in visiting order, so the witness must be the same."""
    results = {}
    for name in ("old", "pairs", "first slot"):
        with monkeypatch.context() as mp:
            if name == "old":
                mp.setattr(en, "_prefix_chunks", _old_prefix_chunks)
            if name == "first slot":
                mp.setattr(E, "_MAX_PAIR_ROWS", 0)
            results[name] = [en.solve(p) for p in _problems()] + [en.best_subset(p)[:3] for p in _problems()[:5]]
    found = 0
    for a, b, c in zip(results["old"], results["pairs"], results["first slot"]):
        if isinstance(a, tuple):  # best_subset: (chosen, witness, complete)
            assert a[0] == b[0] == c[0] and a[2] and b[2] and c[2]
            a, b, c = a[1], b[1], c[1]
        else:
            assert a.status == b.status == c.status
            a, b, c = a.witness, b.witness, c.witness
        if a is not None:
            found += 1
            assert a.to_dict() == b.to_dict() == c.to_dict()
    assert found >= 12  # the comparison is about witnesses: enough of them exist


def test_today_pairs_are_the_old_pairs():
    for p in _problems()[:3]:
        K_in, _ = E.integer_class(p.domain.m, p.d_hidden, p.n_features, p.activation, 1, None)
        sl = E._slots(p.domain, p.d_hidden, p.activation, K_in, False, None, None, KERNELS, p.activation == "step")
        starts = range(sl.first[0], sl.last[0])
        old, new = _old_prefix_chunks(sl, starts), E._prefix_chunks(sl, starts)
        assert len(old) == len(new) and all(np.array_equal(a, b) for a, b in zip(old, new))


@pytest.mark.parametrize("threads", [2, 3])
def test_witness_does_not_depend_on_threads(threads):
    for p in _problems():
        a, b = en.solve(p, threads=1), en.solve(p, threads=threads, time_limit=600)
        assert a.status == b.status
        assert (a.witness is None) == (b.witness is None)
        if a.witness is not None:
            assert a.witness.to_dict() == b.witness.to_dict()


def _kernel_args(act):
    """A whole small class (m=3, K=1: every hidden layer of 2 units) and a target it computes."""
    d = Domain(3)
    relu = act == "relu"
    rows, _, _ = KERNELS["unit_box"](d.points.astype(np.int64), np.full(3, -1), np.full(3, 1), -5, 5, relu, 1)
    rows = np.ascontiguousarray(rows)
    first, last, tie = np.zeros(2, np.int64), np.full(2, len(rows)), np.array([False, True])
    prefixes = np.arange(len(rows)).reshape(-1, 1)
    if relu:
        G = np.array([[a, b] for a in (-1, 0, 1) for b in (-1, 0, 1)], dtype=np.int64)
        extra = (G, 1)
    else:
        G = KERNELS["unit_box"](Domain(2).points.astype(np.int64), np.full(2, -1), np.full(2, 1), -5, 5, False, 1)[0]
        extra = (G, d.pack(np.ones(8, bool)))
    target = d.pack(np.array([[x[0] ^ x[1] for x in d.points]], bool))  # XOR: needs both units
    return (rows, first, last, tie, prefixes) + extra, target, len(G)


@pytest.mark.parametrize("act", ["step", "relu"])
def test_kernels_and_twins_return_nothing_when_stop_is_preset(act):
    args, target, nG = _kernel_args(act)
    lo, hi = np.zeros(1, np.int64), np.full(1, nG)
    none = np.zeros(0, np.int64)
    for mode, tg, a, b in ((0, target[:0], none, none), (1, target, lo, hi), (2, target, lo, hi)):
        got = {}
        for stop in (0, 1):
            for name, kern in (("numba", KERNELS), ("python", TWINS)):
                with np.errstate(over="ignore"):
                    got[name, stop] = kern["combos_" + act](*args, tg, a, b, mode, np.full(1, stop, np.int8))
            assert all(np.array_equal(x, y) for x, y in zip(got["numba", stop], got["python", stop]))
        fs, res = got["numba", 0]
        assert (len(fs) > 0) if mode == 0 else (res[-1] >= 0)  # unstopped, the class computes something / XOR
        fs, res = got["numba", 1]
        assert len(fs) == 0 and (len(res) == 0 if mode < 2 else (res == -1).all())


def test_twin_stops_inside_a_chunk_when_the_flag_is_set():
    """The plain-Python twin on one chunk of the huge class (minutes of work) stops within a second of the flag."""
    K_in, K_out = E.integer_class(5, 3, BIG.n_features, "relu", 3, None)
    sl = E._slots(BIG.domain, 3, "relu", K_in, False, None, None, KERNELS, False)
    R = E._readouts_relu(3, K_out, False, None, "sign")
    F = BIG.n_features
    stop = np.zeros(1, np.int8)
    timer = threading.Timer(0.5, stop.fill, (1,))
    timer.start()
    t = time.perf_counter()
    with np.errstate(over="ignore"):
        fs, res = TWINS["combos_relu"](sl.rows, sl.first, sl.last, sl.tie, np.zeros((1, 1), np.int64), R,
                                       BIG.domain.words, BIG.features.tables, np.zeros(F, np.int64),
                                       np.full(F, len(R)), 1, stop)
    timer.cancel()
    assert stop[0] == 1 and len(res) == 0 and time.perf_counter() - t < 3
