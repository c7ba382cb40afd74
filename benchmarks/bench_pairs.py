"""The ReLU refutations of the U-AND ladder (all pairwise ANDs on 2-sparse inputs, integer weights in [-K, K]):
``method="enumerate"`` (level-set filter, input-permutation orbits, target-by-target readouts;
``docs/engine.md``, Round 7) against ``method="sat"`` (CaDiCaL, the LRAT proof checked inside the call), in one
process, each cell once per method, after a warm-up call that compiles (or loads) the Numba kernels, timed
apart. Every row records the answer, the certificate kind, wall seconds, CPU
seconds of this process and the load average; SAT stops at ``--sat-limit`` (UNKNOWN). ``--out DIR`` (default
``benchmarks/out/pairs``) gets ``pairs.json`` and ``pairs.md``, rewritten after every row.

    python benchmarks/bench_pairs.py --out benchmarks/results/pairs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from capacity.domain import Domain
from capacity.features import from_spec
from capacity.solvers import enumerate as en
from capacity.solvers import sat
from capacity.solvers.problem import Problem

# (m, K, width): the refutation at n* - 1 of each ReLU cell with m >= 5
CELLS = [(5, 1, 3), (5, 2, 2), (5, 3, 2), (6, 1, 3), (6, 2, 2), (6, 3, 2)]


def run(method, problem, limit):
    c0, t0, load = time.process_time(), time.perf_counter(), os.getloadavg()[0]
    r = en.solve(problem) if method == "enumerate" else sat.solve(problem, time_limit=limit)
    return {"method": method, "status": r.status.value,
            "certificate": None if r.certificate is None else r.certificate.kind,
            "wall_s": round(time.perf_counter() - t0, 3), "cpu_s": round(time.process_time() - c0, 3),
            "load": round(load, 2), "info": {k: v for k, v in r.info.items() if isinstance(v, (int, float, str))}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/out/pairs")
    ap.add_argument("--sat-limit", type=float, default=300.0)
    ap.add_argument("--cells", default="all", help="'all' or e.g. 5:3:2,6:3:2 (m:K:width)")
    args = ap.parse_args(argv)
    cells = CELLS if args.cells == "all" else [tuple(int(x) for x in c.split(":")) for c in args.cells.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    en.solve(Problem(from_spec(Domain(3), "pairs"), 2, "relu", 1))
    warm = round(time.perf_counter() - t0, 2)
    rows = []
    for m, K, n in cells:
        p = Problem(from_spec(Domain(m, 2), "pairs"), n, "relu", K)
        row = {"cell": f"relu m{m} K{K} w{n}"}
        for method in ("enumerate", "sat"):
            row[method] = run(method, p, args.sat_limit)
            print(row["cell"], method, row[method]["status"], row[method]["wall_s"], file=sys.stderr, flush=True)
        e, s = row["enumerate"], row["sat"]
        if e["status"] == "REPRESENTABLE" or (s["status"] not in ("UNKNOWN", e["status"])):
            raise SystemExit(f"{row['cell']}: enumerate {e['status']} against sat {s['status']}: a bug")
        rows.append(row)
        (out / "pairs.json").write_text(json.dumps({"warm_up_s": warm, "rows": rows}, indent=1))
        lines = ["| cell | enumerate: answer, wall s (CPU s) | sat + LRAT check: answer, wall s (CPU s) | "
                 "wall ratio enumerate / sat | load |", "|---|---|---|---|---|"]
        for r in rows:
            e, s = r["enumerate"], r["sat"]
            ratio = f"{e['wall_s'] / s['wall_s']:.3f}" + (" (sat stopped)" if s["status"] == "UNKNOWN" else "")
            lines.append(f"| {r['cell']} | {e['status']}, {e['wall_s']} ({e['cpu_s']}) | {s['status']}, "
                         f"{s['wall_s']} ({s['cpu_s']}) | {ratio} | {e['load']}-{s['load']} |")
        lines.append(f"\nWarm-up (Numba compiling or loading the kernels, before the rows): {warm} s.")
        (out / "pairs.md").write_text("\n".join(lines) + "\n")
    print((out / "pairs.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
