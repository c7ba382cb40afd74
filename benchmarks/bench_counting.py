"""Benchmark: exact counts of several step units (two methods and an exact-solver sample), and the structure
of threshold-function counts.

Usage:
    python benchmarks/bench_counting.py [--out DIR] [--sections multi,structure] [--cell-timeout 900]
        [--samples 10] [--cells 4x2,4x3,5x2,5x3] [--workers 2] [--k8-chunks C] [--cache DIR]

``multi``: for k = 4, 5 inputs and n = 2, 3 step units with real weights, the combination enumeration
(``capacity count --inputs k --hidden n --activation step --real``) and the readout-type count
(:func:`capacity.threshold.count_step_by_readouts`), each in its own process under ``--cell-timeout`` seconds (a
cell that runs out is reported as not finished; the wall clock never changes a number), then ``--samples``
functions inside and outside the set decided by the SAT front door (witness re-verified / DRUP proof checked).
``structure``: :func:`capacity.threshold.structure` for k = 1..7 against OEIS A001530, A003184 and A003217.
``generation``: A000609(7) by :func:`capacity.threshold.count_by_generation` against the orbit enumeration
(same run, ratio), and with ``--k8-chunks C`` a sampled level 8 with the projected time of the whole level.
Results go to ``counting.json`` and ``counting.md`` in ``--out`` (default ``benchmarks/out/``, untracked).
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


def _cell(k, n, method, timeout):
    t = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", CELL, str(k), str(n), method], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"count": None, "seconds": None, "note": f"not finished in {timeout} s"}
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        return {"count": None, "seconds": None,
                "note": err[-1][:200] if err else f"exit code {p.returncode} (killed: out of memory?)"}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = time.perf_counter() - t
    return out


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


def generation(args):
    """k = 7 by generation against the current orbit enumeration (same run), then a sampled k = 8 level."""
    from capacity import Domain
    from capacity.enumeration import count
    from capacity.threshold import count_by_generation

    count(Domain(5), 1, "step", None)  # compile the kernels outside the timings
    count_by_generation(5)
    print("k=7 current enumeration ...", flush=True)
    t = time.perf_counter()
    cur = count(Domain(7), 1, "step", None, threads=args.workers).count
    t_cur = time.perf_counter() - t
    print(f"  {cur} in {t_cur:.1f} s", flush=True)
    print(f"k=7 generation, {args.workers} worker(s) ...", flush=True)
    t = time.perf_counter()
    gen = count_by_generation(7, workers=args.workers, progress=True)
    t_gen = time.perf_counter() - t
    print(f"  {gen.count} in {t_gen:.1f} s", flush=True)
    out = {"k7": {"enumeration": cur, "enumeration_seconds": t_cur, "generation": gen.count,
                  "generation_seconds": t_gen, "ratio_generation_over_enumeration": t_gen / t_cur,
                  "agree": cur == gen.count, "levels": gen.levels}}
    if args.k8_chunks:
        print(f"k=8 generation, {args.k8_chunks} sampled chunks of level 8 ...", flush=True)
        t = time.perf_counter()
        g8 = count_by_generation(8, workers=args.workers, sample_chunks=args.k8_chunks, progress=True,
                                 cache_dir=args.cache)
        last = g8.levels[-1]
        per = last["seconds"] / max(1, last["computed_candidates"])  # chunks found in the cache cost nothing
        out["k8"] = {"levels": g8.levels, "seconds": time.perf_counter() - t, "seconds_per_candidate": per,
                     "projected_level8_seconds": per * last["candidates_total"], "workers": args.workers}
        print(f"  {out['k8']}", flush=True)
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
        md += ["", "# A000609(7): generation from k - 1 against the orbit enumeration (same run)", "",
               f"enumeration {g['enumeration']} in {g['enumeration_seconds']:.1f} s; generation {g['generation']} "
               f"in {g['generation_seconds']:.1f} s; ratio generation / enumeration "
               f"{g['ratio_generation_over_enumeration']:.2f}; levels {g['levels']}"]
        if "k8" in result["generation"]:
            k8 = result["generation"]["k8"]
            md += ["", f"k = 8 sampled: {k8['levels'][-1]}; {k8['seconds_per_candidate'] * 1000:.2f} ms of wall time "
                       f"per candidate with {k8['workers']} worker(s) (the exact count of all candidates included); "
                       f"projected level 8: {k8['projected_level8_seconds'] / 3600:.2f} h"]
    return "\n".join(md) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"),
                    help="output folder (default benchmarks/out/, untracked; benchmarks/results only when asked)")
    ap.add_argument("--sections", default="multi,structure,generation",
                    help="comma-separated: multi, structure, generation")
    ap.add_argument("--cell-timeout", type=float, default=900, help="seconds per (k, n, method) cell")
    ap.add_argument("--samples", type=int, default=10, help="sampled functions inside and outside each count")
    ap.add_argument("--cells", default="4x2,4x3,5x2,5x3", help="multi section: comma-separated KxN cells")
    ap.add_argument("--max-k", type=int, default=7, help="largest k for the structure section")
    ap.add_argument("--workers", type=int, default=2, help="local processes (generation) / threads (enumeration)")
    ap.add_argument("--k8-chunks", type=int, default=0, help="sampled chunks of level 8 (0: skip k = 8)")
    ap.add_argument("--cache", default=None, help="cache folder for the generation levels (resumable)")
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
    result["meta"]["load_after"] = os.getloadavg()[0]
    (out / "counting.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / "counting.md").write_text(markdown(result))
    print(f"wrote {out / 'counting.json'} and {out / 'counting.md'}")


if __name__ == "__main__":
    main()
