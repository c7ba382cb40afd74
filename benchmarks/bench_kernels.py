"""Benchmark: the Numba kernels against their plain-Python twins, and one-unit real-weight counts.

Usage:
    python benchmarks/bench_kernels.py [--out DIR] [--max-k 7]    (default DIR: benchmarks/out/)

Each kernel and its twin run the same workload in the same process (the kernel once to compile first);
results go to ``kernels.json`` and ``kernels.md``. The count part times ``capacity count --hidden 1 --real``
for k = 5, 6, 7 inputs (A000609 checked) with the plain Python path as baseline where it is feasible.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from capacity import Domain
from capacity._kernels import KERNELS, TWINS
from capacity.enumeration import count, point_permutations

A000609 = {5: 94572, 6: 15028134, 7: 8378070864, 8: 17561539552946}


def _time(fn, *args, repeat=1):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        with np.errstate(over="ignore"):
            out = fn(*args)
        best = min(best, time.perf_counter() - t)
    return best, out


def workloads():
    d5 = Domain(5)
    X5 = d5.points.astype(np.int64)
    pre = np.arange(8, -1, -1, dtype=np.int64).reshape(-1, 1)
    d3 = Domain(3)
    X3 = d3.points.astype(np.int64)
    rows, W, T = KERNELS["unit_box"](X3, np.full(3, -2), np.full(3, 2), -7, 7, False, 1)
    keep = (rows[:, 0] & np.uint64(1)) == 0
    rows = np.ascontiguousarray(rows[keep])
    G, _, _ = KERNELS["unit_box"](Domain(3).points.astype(np.int64), np.full(3, -1), np.full(3, 1), -5, 5, False, 1)
    first, last, tie = np.zeros(3, np.int64), np.full(3, len(rows)), np.array([False, True, True])
    valid = d3.pack(np.ones(8, bool))
    none = np.zeros(0, np.int64)
    go = np.zeros(1, np.int8)  # the combos kernels' stop flag, never set here
    relu_rows, _, _ = KERNELS["unit_box"](X3, np.full(3, -2), np.full(3, 2), -8, 8, True, 1)
    R = np.array([[a, b] for a in (-1, 0, 1) for b in (-1, 0, 1)], dtype=np.int64)
    canon = KERNELS["scan_sorted"](X5, 0, 4, pre, 1, True)
    canon5 = KERNELS["scan_sorted"](X5, 0, 6, np.arange(6, -1, -1).reshape(-1, 1), 1, False)
    perms = point_permutations(d5, True)
    return {
        "scan_sorted (m=5, K=8: sorted weights, all cuts)": ("scan_sorted", (X5, 0, 8, pre, 1, True)),
        "unit_box (m=5, K=2, step)": ("unit_box", (X5, np.full(5, -2), np.full(5, 2), -12, 12, False, 1)),
        "combos_step (m=3, n=3, K=2: all functions)": ("combos_step", (rows, first, last, tie,
                                                                       np.arange(len(rows)).reshape(-1, 1), G, valid,
                                                                       np.zeros((0, 1), np.uint64), none, none, 0, go)),
        "combos_relu (m=3, n=2, K=2: all functions)": ("combos_relu", (np.ascontiguousarray(relu_rows), first[:2],
                                                                       np.full(2, len(relu_rows)),
                                                                       np.array([False, True]),
                                                                       np.arange(len(relu_rows)).reshape(-1, 1), R, 1,
                                                                       np.zeros((0, 1), np.uint64), none, none, 0, go)),
        "expand_orbits (m=5: all labelled threshold functions)": ("expand_orbits", (canon5, perms)),
        "orbit_sizes (m=5 canonical threshold functions)": ("orbit_sizes", _orbit_args(canon)),
    }


def _orbit_args(canon):
    from math import factorial

    from capacity.enumeration import _transpositions

    sw, fl = _transpositions(Domain(5))
    return canon, sw, fl, True, np.array([factorial(i) for i in range(6)], dtype=np.int64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"),
                    help="output folder (default benchmarks/out/, untracked; benchmarks/results only when asked)")
    ap.add_argument("--max-k", type=int, default=7)
    args = ap.parse_args(argv)
    rows = []
    for label, (name, wl) in workloads().items():
        _time(KERNELS[name], *wl)  # compile
        tk, a = _time(KERNELS[name], *wl, repeat=3)
        tp, b = _time(TWINS[name], *wl)
        same = all(np.array_equal(np.sort(x, axis=0), np.sort(y, axis=0)) for x, y in
                   zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)))
        rows.append({"workload": label, "kernel_s": tk, "twin_s": tp, "speedup": tp / tk, "same_output": same})
        print(f"{label:60s} kernel {tk:9.5f} s  twin {tp:9.3f} s  x{tp / tk:8.1f}  same={same}")
    counts = []
    for k in range(5, args.max_k + 1):
        count(Domain(k), 1, "relu", None)  # compile / warm
        t = time.perf_counter()
        res = count(Domain(k), 1, "relu", None)
        sec = time.perf_counter() - t
        entry = {"k": k, "count": res.count, "A000609": A000609[k], "matches": res.count == A000609[k],
                 "K_used": res.weight_bound_used, "seconds": sec}
        if k <= 5:  # the plain-Python path on the same question
            t = time.perf_counter()
            py = count(Domain(k), 1, "relu", None, backend="python")
            entry["python_seconds"] = time.perf_counter() - t
            entry["speedup"] = entry["python_seconds"] / sec
            assert py.count == res.count
        counts.append(entry)
        print(f"one unit, real weights, k={k}: {res.count} (A000609 {A000609[k]}, match={entry['matches']}) "
              f"K={res.weight_bound_used} in {sec:.2f} s")
    meta = {"machine": platform.machine(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "numba_threads": int(os.environ.get("NUMBA_NUM_THREADS", os.cpu_count() or 1)),
            "date": time.strftime("%Y-%m-%d")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "kernels.json").write_text(json.dumps({"meta": meta, "kernels": rows, "counts": counts}, indent=2))
    md = ["# Kernels vs plain-Python twins (one run)", "", f"{meta}", "",
          "| workload | kernel (s) | twin (s) | speed-up | same output |", "|---|---|---|---|---|"]
    md += [f"| {r['workload']} | {r['kernel_s']:.5f} | {r['twin_s']:.3f} | {r['speedup']:.0f}x | {r['same_output']} |"
           for r in rows]
    md += ["", "# One hidden unit, real weights (exact count = OEIS A000609)", "",
           "| k | count | A000609 | K used | seconds | plain-Python seconds |", "|---|---|---|---|---|---|"]
    md += [f"| {c['k']} | {c['count']} | {c['A000609']} | {c['K_used']} | {c['seconds']:.2f} | "
           f"{c.get('python_seconds', float('nan')):.2f} |" for c in counts]
    (out / "kernels.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
