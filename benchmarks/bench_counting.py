"""Benchmark: exact counts of several step units (two methods and an exact-solver sample), and the structure
of threshold-function counts.

Usage:
    python benchmarks/bench_counting.py [--out DIR] [--sections multi,structure] [--cell-timeout 900]
        [--samples 10]

``multi``: for k = 4, 5 inputs and n = 2, 3 step units with real weights, the combination enumeration
(``capacity count --inputs k --hidden n --activation step --real``) and the readout-type count
(:func:`capacity.threshold.count_step_by_readouts`), each in its own process under ``--cell-timeout`` seconds (a
cell that runs out is reported as not finished; the wall clock never changes a number), then ``--samples``
functions inside and outside the set decided by the SAT front door (witness re-verified / DRUP proof checked).
``structure``: :func:`capacity.threshold.structure` for k = 1..7 against OEIS A001530, A003184 and A003217.
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
        return {"count": None, "seconds": None, "note": p.stderr.strip().splitlines()[-1][:200]}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = time.perf_counter() - t
    return out


def multi(args):
    from capacity.threshold import count_step_by_readouts, membership_sample

    rows = []
    for k in (4, 5):
        for n in (2, 3):
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
    return "\n".join(md) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"),
                    help="output folder (default benchmarks/out/, untracked; benchmarks/results only when asked)")
    ap.add_argument("--sections", default="multi,structure", help="comma-separated: multi, structure")
    ap.add_argument("--cell-timeout", type=float, default=900, help="seconds per (k, n, method) cell")
    ap.add_argument("--samples", type=int, default=10, help="sampled functions inside and outside each count")
    ap.add_argument("--max-k", type=int, default=7, help="largest k for the structure section")
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
    result["meta"]["load_after"] = os.getloadavg()[0]
    (out / "counting.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    (out / "counting.md").write_text(markdown(result))
    print(f"wrote {out / 'counting.json'} and {out / 'counting.md'}")


if __name__ == "__main__":
    main()
