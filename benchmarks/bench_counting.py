"""Benchmark: exact counts of several step units (two methods and an exact-solver sample), and the structure
of threshold-function counts.

Usage:
    python benchmarks/bench_counting.py [--out DIR] [--sections multi,structure] [--cell-timeout 900]
        [--samples 10] [--cells 4x2,4x3,5x2,5x3] [--workers 2] [--k8 full | --k8-chunks C] [--k9-chunks C]
        [--cache DIR] [--name counting] [--class-cells 4x2,4x3,5x2,5x3]

``multi``: for k = 4, 5 inputs and n = 2, 3 step units with real weights, the combination enumeration
(``capacity count --inputs k --hidden n --activation step --real``) and the readout-type count
(:func:`capacity.threshold.count_step_by_readouts`), each in its own process under ``--cell-timeout`` seconds (a
cell that runs out is reported as not finished; the wall clock never changes a number), then ``--samples``
functions inside and outside the set decided by the SAT front door (witness re-verified / DRUP proof checked).
``structure``: :func:`capacity.threshold.structure` for k = 1..7 against OEIS A001530, A003184 and A003217.
``generation``: A000609(7) by :func:`capacity.threshold.count_by_generation` against the orbit enumeration
(same run, ratio of wall and of CPU seconds), then with ``--k8 full`` every level up to 8 (A000609(8) and its class
counts) or with ``--k8-chunks C`` a sampled level 8, and with ``--k9-chunks C`` a sampled level 9.
``classes``: for the cells ``--class-cells``, :func:`capacity.npn.count_step_by_classes` (one exact decision per
NPN class, ``--workers`` threads) in its own process, against the readout-type count of the same cell (the
baseline, also its own process; skipped where it is refused), then ``--samples`` functions inside and outside
the class count decided by the SAT front door inside the class-count process.
``weights``: minimal total weights by LP bounds (``structure(k, method="lp")``) against the exhaustive scan
(``method="scan"``) at k = 7 (``--max-k``; same run: equal per function, ratio), then at k = 8 (generation with
``--workers``, then the minimal weights in this process): the distribution over the NPN classes, the largest minimum, how each
minimum was proven, and whether every function and its dual got the same minimum. Every timing records wall and
CPU seconds (this process and its worker processes) and the load average.
Results go to ``NAME.json`` and ``NAME.md`` (``--name``, default ``counting``) in ``--out`` (default
``benchmarks/out/``, untracked).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CELL = """
import json, sys, time
k, n, method = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
if method == "combinations":
    from capacity import Domain
    from capacity.enumeration import count
    c = count(Domain(k), n, "step", None, progress=False).count
else:
    from capacity.threshold import count_step_by_readouts
    c = count_step_by_readouts(k, n).count
print(json.dumps({"count": c, "seconds": time.perf_counter() - t}))
"""


CLASS_CELL = """
import json, os, sys, time
k, n, workers, samples = (int(v) for v in sys.argv[1:5])
load0, t, c = os.getloadavg()[0], time.perf_counter(), time.process_time()
from capacity.npn import count_step_by_classes
r = count_step_by_classes(k, n, threads=workers)
out = dict(r.to_dict(), wall_seconds=time.perf_counter() - t, cpu_seconds=time.process_time() - c,
           load_before=load0, load_after=os.getloadavg()[0])
if samples:
    from capacity.threshold import membership_sample
    t = time.perf_counter()
    checks = membership_sample(r, samples, samples, seed=k * 10 + n)
    out["sample"] = [{"table": x.table, "in_count": x.in_count, "status": x.status, "evidence": x.evidence,
                      "checked": x.checked, "seconds": x.seconds, "agrees": x.agrees} for x in checks]
    out["sample_seconds"] = time.perf_counter() - t
print(json.dumps(out))
"""


def _cell(k, n, method, timeout, script=CELL, extra=()):
    import resource

    t = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        argv = [str(k), str(n), *map(str, [method] if method else extra)]
        p = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"count": None, "seconds": None, "note": f"not finished in {timeout} s"}
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        return {"count": None, "seconds": None,
                "note": err[-1][:200] if err else f"exit code {p.returncode} (killed: out of memory?)"}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["process_wall_seconds"] = time.perf_counter() - t
    out["process_cpu_seconds"] = ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime
    out.setdefault("wall_seconds", out["process_wall_seconds"])
    return out


def _ratios(row):
    """Classes over readout types, both timed in their process from before the imports to the count (the SAT
    sample excluded); the readout process's CPU also holds the interpreter's start."""
    a, b = row["classes"], row["readouts"]
    row["agree"] = a["count"] == b["count"]
    row["ratio_wall"] = a["wall_seconds"] / b["seconds"]
    row["ratio_cpu"] = a["cpu_seconds"] / b["process_cpu_seconds"]


def classes(args):
    """Each cell by NPN classes against the readout-type count (same run), then the SAT sample."""
    rows = []
    for k, n in [tuple(int(v) for v in c.split("x")) for c in args.class_cells.split(",")]:
        print(f"k={k} n={n} NPN classes ...", flush=True)
        load0 = os.getloadavg()[0]
        row = {"k": k, "n": n,
               "classes": _cell(k, n, None, args.cell_timeout, CLASS_CELL, (args.workers, args.samples))}
        print(f"  {row['classes']}", flush=True)
        if (k, n) != (5, 3):  # the readout count refuses 5 x 3 (MAX_READOUT_WORK)
            print(f"k={k} n={n} readout types (baseline) ...", flush=True)
            row["readouts"] = _cell(k, n, "readouts", args.cell_timeout)
            print(f"  {row['readouts']}", flush=True)
            a, b = row["classes"], row["readouts"]
            if a["count"] is not None and b["count"] is not None:
                _ratios(row)
        row["load"] = [load0, os.getloadavg()[0]]
        rows.append(row)
    return rows


def multi(args):
    from capacity.threshold import count_step_by_readouts, membership_sample

    rows = []
    for k, n in [tuple(int(v) for v in c.split("x")) for c in args.cells.split(",")]:
        row = {"k": k, "n": n}
        for method in ("combinations", "readouts"):
            print(f"k={k} n={n} {method} ...", flush=True)
            row[method] = _cell(k, n, method, args.cell_timeout)
            print(f"  {row[method]}", flush=True)
        counts = {row[m]["count"] for m in ("combinations", "readouts")} - {None}
        row["agree"] = len(counts) == 1 if counts else None
        if row["readouts"]["count"] is not None:
            print(f"k={k} n={n} SAT membership sample ...", flush=True)
            res = count_step_by_readouts(k, n)
            checks = membership_sample(res, args.samples, args.samples, seed=k * 10 + n)
            row["sample"] = [{"table": c.table, "in_count": c.in_count, "status": c.status,
                              "evidence": c.evidence, "checked": c.checked, "seconds": c.seconds,
                              "agrees": c.agrees} for c in checks]
            print(f"  {sum(c.agrees for c in checks)}/{len(checks)} agree", flush=True)
        rows.append(row)
    return rows


def structure(args):
    from capacity.threshold import structure as st

    out = []
    for k in range(1, args.max_k + 1):
        print(f"structure k={k} ...", flush=True)
        s = st(k)
        out.append(s.to_dict())
        print(f"  {s.summary()}", flush=True)
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the executor's worker processes)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ru.ru_utime + ru.ru_stime


def _timed(label, fn):
    print(f"{label} ...", flush=True)
    load0, c, t = os.getloadavg()[0], _cpu(), time.perf_counter()
    res = fn()
    out = {"wall_seconds": time.perf_counter() - t, "cpu_seconds": _cpu() - c, "load_before": load0,
           "load_after": os.getloadavg()[0]}
    print(f"  {out}", flush=True)
    return res, out


def generation(args):
    """k = 7 by generation against the current orbit enumeration (same run), then level 8 in full
    (``--k8 full``, with its structure) or sampled (``--k8-chunks``), and a sampled level 9 (``--k9-chunks``)."""
    from capacity import Domain
    from capacity.enumeration import count
    from capacity.threshold import count_by_generation

    count(Domain(5), 1, "step", None)  # compile the kernels outside the timings
    count_by_generation(5)
    cur, t_cur = _timed("k=7 current enumeration", lambda: count(Domain(7), 1, "step", None, threads=args.workers))
    gen, t_gen = _timed(f"k=7 generation, {args.workers} worker(s)",
                        lambda: count_by_generation(7, workers=args.workers, progress=True))
    out = {"k7": {"enumeration": cur.count, "enumeration_time": t_cur, "generation": gen.count,
                  "generation_time": t_gen,
                  "ratio_generation_over_enumeration": t_gen["wall_seconds"] / t_cur["wall_seconds"],
                  "ratio_cpu": t_gen["cpu_seconds"] / t_cur["cpu_seconds"],
                  "agree": cur.count == gen.count, "levels": gen.levels}}
    if args.k8 == "full":
        g8, t8 = _timed(f"k=8 generation, every level, {args.workers} worker(s)",
                        lambda: count_by_generation(8, workers=args.workers, progress=True, cache_dir=args.cache))
        out["k8"] = {"count": g8.count, "time": t8, "levels": g8.levels, "workers": args.workers,
                     "classes": g8.classes()}
        print(f"  A000609(8) computed: {g8.count}; {out['k8']['classes']}", flush=True)
    elif args.k8_chunks:
        g8, t8 = _timed(f"k=8 generation, {args.k8_chunks} sampled chunks of level 8",
                        lambda: count_by_generation(8, workers=args.workers, sample_chunks=args.k8_chunks,
                                                    progress=True, cache_dir=args.cache))
        last = g8.levels[-1]
        per = last["seconds"] / max(1, last["computed_candidates"])  # chunks found in the cache cost nothing
        out["k8"] = {"levels": g8.levels, "time": t8, "seconds_per_candidate": per,
                     "projected_level8_seconds": per * last["candidates_total"], "workers": args.workers}
    if args.k9_chunks:
        g9, t9 = _timed(f"k=9 generation, {args.k9_chunks} sampled chunks of level 9",
                        lambda: count_by_generation(9, workers=args.workers, sample_chunks=args.k9_chunks,
                                                    progress=True, cache_dir=args.cache))
        last = g9.levels[-1]
        scale = last["chunks_total"] / last["chunks_sampled"]  # evenly spaced chunks of f0 rows
        out["k9"] = {"levels": g9.levels, "time": t9, "workers": args.workers,
                     "projected_level9_wall_seconds": last["seconds"] * scale,
                     "projected_level9_cpu_seconds": t9["cpu_seconds"] * scale}
        print(f"  {last}; projected level 9: {last['seconds'] * scale / 3600:.1f} h wall, "
              f"{t9['cpu_seconds'] * scale / 3600:.1f} CPU-hours", flush=True)
    return out


def _dual_pairs_agree(s) -> bool:
    """Whether every canonical function of ``s`` and its dual ``not f(not x)`` (also canonical) have the same
    minimal total weight (their self-dual forms differ by one complemented input)."""
    import numpy as np

    from capacity import Domain

    d = Domain(s.k)
    keys = np.ascontiguousarray(s.canon).view(np.dtype((np.void, s.canon.shape[1] * 8))).ravel()
    order = np.argsort(keys)
    for a in range(0, len(keys), 1 << 16):
        dual = d.pack(~d.unpack(s.canon[a:a + (1 << 16)])[:, ::-1])
        dk = np.ascontiguousarray(dual).view(keys.dtype).ravel()
        pos = order[np.searchsorted(keys[order], dk)]
        if not (np.array_equal(keys[pos], dk)
                and np.array_equal(s.min_total_weight[pos], s.min_total_weight[a:a + (1 << 16)])):
            return False
    return True


def _highs_minimum(f, X):
    """The minimal total weight of the positive function ``f`` by HiGHS's MIP (scipy), a second solver for the
    minima CP-SAT proved: ``(value, realisation checked on every point)``. Float tolerances: a cross-check only."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    from capacity.threshold import _extremal_points

    k = X.shape[1]
    tp, fp = _extremal_points(f, k)
    one = np.ones((len(tp) + len(fp), 1))
    rows = np.vstack([np.hstack([X[tp], -one[:len(tp)], 0 * one[:len(tp)]]),  # x.w - t >= 0
                      np.hstack([-X[fp], one[:len(fp)], 0 * one[:len(fp)]]),  # t - y.w >= 1
                      np.r_[np.zeros(k), -2, 1][None], np.r_[-2 * np.ones(k), 2, 1][None]])  # u >= 2t-1, 2S+1-2t
    lb = np.r_[np.zeros(len(tp)), np.ones(len(fp)), -1, 1]
    c = np.r_[np.zeros(k + 1), 1]
    res = milp(c, constraints=LinearConstraint(rows, lb, np.inf), integrality=np.ones(k + 2),
               bounds=Bounds(0, np.inf))
    if res.status != 0:
        return None, False
    w = np.rint(res.x[:k]).astype(np.int64)
    t = int(np.rint(res.x[k]))
    S = int(w.sum())
    return int(np.rint(res.fun)), bool(np.array_equal(X @ w >= t, f) and S + abs(2 * t - 1 - S) == np.rint(res.fun))


def weights(args):
    """Minimal total weights: the LP route against the exhaustive scan at k = ``--max-k`` (7; same run), then
    k = 8 with ``--k8 full``."""
    from capacity.threshold import count_by_generation, structure

    structure(5, method="lp"), structure(5, method="scan")  # compile the kernels outside the timings
    k = args.max_k
    lp7, t_lp = _timed(f"k={k} minimal weights by LP bounds", lambda: structure(k, method="lp"))
    sc7, t_sc = _timed(f"k={k} minimal weights by the exhaustive scan", lambda: structure(k, method="scan"))
    same = (dict(zip(map(bytes, lp7.canon), lp7.min_total_weight.tolist()))
            == dict(zip(map(bytes, sc7.canon), sc7.min_total_weight.tolist())))
    out = {"k7": {"k": k, "lp_time": t_lp, "scan_time": t_sc, "equal_per_function": same, "lp": lp7.to_dict(),
                  "ratio_lp_over_scan": t_lp["wall_seconds"] / t_sc["wall_seconds"],
                  "ratio_cpu": t_lp["cpu_seconds"] / t_sc["cpu_seconds"]}}
    print(f"  equal per function: {same}", flush=True)
    if args.k8 == "full":
        g8, t_gen = _timed(f"k=8 generation, {args.workers} worker(s)",
                           lambda: count_by_generation(8, workers=args.workers, progress=True, cache_dir=args.cache))
        s8, t_w = _timed("k=8 minimal weights by LP bounds (this process)", lambda: g8.structure(progress=True))
        import numpy as np

        from capacity import Domain

        d8 = Domain(8)
        X = d8.points.astype(np.int64)
        rows = np.flatnonzero(s8.proof == 2)
        highs = [_highs_minimum(d8.unpack(s8.canon[r:r + 1])[0], X) for r in rows]
        out["k8"] = {"generation_time": t_gen, "weights_time": t_w, **s8.to_dict(),
                     "dual_pairs_agree": _dual_pairs_agree(s8),
                     "cp_sat_minima": {"functions": len(rows), "W": s8.W[rows].tolist(), "T": s8.T[rows].tolist(),
                                       "minimum": s8.min_total_weight[rows].tolist(),
                                       "highs_mip_agrees": sum(v == m and ok for (v, ok), m in
                                                               zip(highs, s8.min_total_weight[rows].tolist()))}}
        print(f"  {s8.summary()}; proven by {s8.tallies}; dual pairs agree: {out['k8']['dual_pairs_agree']}",
              flush=True)
    return out


def markdown(result) -> str:
    md = ["# Exact counts of step networks (one run)", "", f"{result['meta']}", ""]
    if "multi" in result:
        md += ["| k | n | combination enumeration | s | readout types | s | agree | SAT sample (in/out, agree) |",
               "|---|---|---|---|---|---|---|---|"]
        for r in result["multi"]:
            c, d = r["combinations"], r["readouts"]
            s = r.get("sample", [])
            ins = sum(x["in_count"] for x in s)
            md.append(f"| {r['k']} | {r['n']} | {c['count'] if c['count'] is not None else c['note']} | "
                      f"{c['seconds'] or float('nan'):.1f} | {d['count'] if d['count'] is not None else d['note']} | "
                      f"{d['seconds'] or float('nan'):.1f} | {r['agree']} | "
                      f"{ins}/{len(s) - ins}, {sum(x['agrees'] for x in s)}/{len(s)} |")
    if "classes" in result:
        md += ["", "# Several step units by NPN classes against readout types (same run)", "",
               "| k | n | count | member / all NPN classes | wall s | CPU s | readout types | wall s | CPU s | "
               "agree | ratio wall / CPU | SAT sample (in/out, agree; s) | load |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in result["classes"]:
            c, d = r["classes"], r.get("readouts", {"count": "refused", "seconds": float("nan"),
                                                    "process_cpu_seconds": float("nan")})
            s = c.get("sample", [])
            ins = sum(x["in_count"] for x in s)
            nan = float("nan")
            md.append(f"| {r['k']} | {r['n']} | {c['count'] if c['count'] is not None else c['note']} | "
                      f"{c.get('member_classes')} / {c.get('npn_classes')} | {c.get('wall_seconds', nan):.1f} | "
                      f"{c.get('cpu_seconds', nan):.1f} | {d['count'] if d['count'] is not None else d['note']} | "
                      f"{d.get('seconds') or nan:.1f} | {d.get('process_cpu_seconds') or nan:.1f} | "
                      f"{r.get('agree', '-')} | {r.get('ratio_wall', nan):.2f} / {r.get('ratio_cpu', nan):.2f} | "
                      f"{ins}/{len(s) - ins}, {sum(x['agrees'] for x in s)}/{len(s)}; "
                      f"{c.get('sample_seconds', 0):.0f} | {r['load'][0]:.1f} to {r['load'][1]:.1f} |")
    if "structure" in result:
        md += ["", "# Structure of threshold functions", "",
               "| k | NP classes | NPN classes (exactly k) | A001530 | self-dual NP (exactly k) | A003184 | "
               "max min total weight | A003217 | seconds |", "|---|---|---|---|---|---|---|---|---|"]
        for s in result["structure"]:
            md.append(f"| {s['k']} | {s['np_classes']} | {s['npn_exactly']} | {s['A001530']} | "
                      f"{s['selfdual_np_exactly']} | {s['A003184']} | {s['max_min_total_weight']} | {s['A003217']} | "
                      f"{s['seconds']:.2f} |")
    if "generation" in result:
        g = result["generation"]["k7"]
        te, tg = g["enumeration_time"], g["generation_time"]
        md += ["", "# A000609(7): generation from k - 1 against the orbit enumeration (same run)", "",
               f"enumeration {g['enumeration']} in {te['wall_seconds']:.1f} s wall / {te['cpu_seconds']:.1f} s CPU; "
               f"generation {g['generation']} in {tg['wall_seconds']:.1f} s wall / {tg['cpu_seconds']:.1f} s CPU "
               f"(load {tg['load_before']:.1f} to {tg['load_after']:.1f}); ratio generation / enumeration "
               f"{g['ratio_generation_over_enumeration']:.2f} (wall), {g['ratio_cpu']:.2f} (CPU); levels {g['levels']}"]
        k8 = result["generation"].get("k8")
        if k8 and "count" in k8:
            t = k8["time"]
            md += ["", f"k = 8, every level: A000609(8) = {k8['count']} in {t['wall_seconds']:.1f} s wall, "
                       f"{t['cpu_seconds']:.1f} s CPU with {k8['workers']} worker(s), load {t['load_before']:.1f} "
                       f"to {t['load_after']:.1f}; level 8: {k8['levels'][-1]}", "", f"classes: {k8['classes']}"]
        elif k8:
            md += ["", f"k = 8 sampled: {k8['levels'][-1]}; {k8['seconds_per_candidate'] * 1000:.3f} ms of wall "
                       f"time per candidate with {k8['workers']} worker(s); projected level 8: "
                       f"{k8['projected_level8_seconds'] / 3600:.2f} h"]
        k9 = result["generation"].get("k9")
        if k9:
            t = k9["time"]
            md += ["", f"k = 9, {k9['levels'][-1]['chunks_sampled']} evenly spaced chunks of "
                       f"{k9['levels'][-1]['chunks_total']}: {t['wall_seconds']:.1f} s wall, {t['cpu_seconds']:.1f} s "
                       f"CPU, load {t['load_before']:.1f} to {t['load_after']:.1f}; level 9: {k9['levels'][-1]}; "
                       f"projected level 9: {k9['projected_level9_wall_seconds'] / 3600:.1f} h wall at this load with "
                       f"{k9['workers']} worker(s), {k9['projected_level9_cpu_seconds'] / 3600:.1f} CPU-hours"]
    if "weights" in result:
        w = result["weights"]
        k7, tl, ts = w["k7"], w["k7"]["lp_time"], w["k7"]["scan_time"]
        md += ["", "# Minimal total weights: LP bounds against the exhaustive scan (same run)", "",
               f"k = {k7['k']}: LP bounds {tl['wall_seconds']:.1f} s wall / {tl['cpu_seconds']:.1f} s CPU (load "
               f"{tl['load_before']:.1f} to {tl['load_after']:.1f}); scan {ts['wall_seconds']:.1f} s wall / "
               f"{ts['cpu_seconds']:.1f} s CPU (load {ts['load_before']:.1f} to {ts['load_after']:.1f}); ratio LP / "
               f"scan {k7['ratio_lp_over_scan']:.3f} (wall), {k7['ratio_cpu']:.3f} (CPU); equal per function: "
               f"{k7['equal_per_function']}; proven by {k7['lp']['proven_by']}"]
        k8 = w.get("k8")
        if k8:
            tg, tw = k8["generation_time"], k8["weights_time"]
            md += ["", f"k = 8: generation {tg['wall_seconds']:.1f} s wall / {tg['cpu_seconds']:.1f} s CPU (load "
                       f"{tg['load_before']:.1f} to {tg['load_after']:.1f}); minimal weights of the "
                       f"{k8['np_classes']} canonical functions {tw['wall_seconds']:.1f} s wall / "
                       f"{tw['cpu_seconds']:.1f} s CPU (load {tw['load_before']:.1f} to {tw['load_after']:.1f}); "
                       f"proven by {k8['proven_by']}; every function and its dual agree: {k8['dual_pairs_agree']}; "
                       f"HiGHS's MIP gives the same minimum (realisation checked) for "
                       f"{k8['cp_sat_minima']['highs_mip_agrees']} of the {k8['cp_sat_minima']['functions']} "
                       f"minima proven by CP-SAT",
                   "", f"NPN classes of exactly 8 inputs: {k8['npn_exactly']} (A001530: {k8['A001530']}); largest "
                       f"minimal total weight {k8['max_min_total_weight']} (A003217: {k8['A003217']})", "",
                   f"distribution (minimal total weight: NPN classes): {k8['min_total_weight_distribution']}"]
    return "\n".join(md) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"),
                    help="output folder (default benchmarks/out/, untracked; benchmarks/results only when asked)")
    ap.add_argument("--sections", default="multi,structure,generation",
                    help="comma-separated: multi, structure, generation, classes, weights")
    ap.add_argument("--cell-timeout", type=float, default=900, help="seconds per (k, n, method) cell")
    ap.add_argument("--samples", type=int, default=10, help="sampled functions inside and outside each count")
    ap.add_argument("--cells", default="4x2,4x3,5x2,5x3", help="multi section: comma-separated KxN cells")
    ap.add_argument("--class-cells", default="4x2,4x3,5x2,5x3", help="classes section: comma-separated KxN cells")
    ap.add_argument("--max-k", type=int, default=7, help="largest k for the structure section")
    ap.add_argument("--workers", type=int, default=2, help="local processes (generation) / threads (enumeration)")
    ap.add_argument("--k8", choices=["full", "none"], default="none",
                    help="full: every level up to 8, counted (generation), and its minimal weights (weights)")
    ap.add_argument("--k8-chunks", type=int, default=0,
                    help="sampled chunks of level 8 (0: skip; ignored with --k8 full)")
    ap.add_argument("--k9-chunks", type=int, default=0, help="sampled chunks of level 9 (0: skip; needs level 8)")
    ap.add_argument("--cache", default=None, help="cache folder for the generation levels (resumable)")
    ap.add_argument("--name", default="counting", help="file stem of the outputs (NAME.json, NAME.md)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"meta": {"machine": platform.machine(), "python": platform.python_version(), "cpus": os.cpu_count(),
                       "numba_threads": os.environ.get("NUMBA_NUM_THREADS", "all"),
                       "load_before": os.getloadavg()[0], "date": time.strftime("%Y-%m-%d %H:%M")}}
    sections = args.sections.split(",")
    if "multi" in sections:
        result["multi"] = multi(args)
    if "structure" in sections:
        result["structure"] = structure(args)
    if "generation" in sections:
        result["generation"] = generation(args)
    if "classes" in sections:
        result["classes"] = classes(args)
    if "weights" in sections:
        result["weights"] = weights(args)
    result["meta"]["load_after"] = os.getloadavg()[0]
    (out / f"{args.name}.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / f"{args.name}.md").write_text(markdown(result))
    print(f"wrote {out / (args.name + '.json')} and {out / (args.name + '.md')}")


if __name__ == "__main__":
    main()
