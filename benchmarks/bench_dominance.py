"""The weight-dominance rule of the sat encoding (``encode(dominance=...)``, ``docs/engine.md`` "Symmetry
breaking" rule 5) against the encoding without it, on the U-AND ladder cells (all pairwise ANDs on 2-sparse
inputs, integer weights in [-K, K]).

Variants per cell: ``off`` (today's encoding), ``down`` (the rule for positive weights), ``both`` (positive
and negative). Modes: ``full`` runs ``sat.solve`` (symmetric search off, so both sides run the same CDCL
pipeline; an UNSAT answer includes the LRAT proof check), ``search`` runs CaDiCaL on the CNF without a proof
(for cells whose proofs are too large to keep), stopped at ``--time-limit`` by the native timer. Every row
records the answer, CaDiCaL's conflicts (deterministic for a CNF), wall seconds, CPU seconds of this process
and the load average before and after. ``--out DIR`` (default ``benchmarks/out``) gets ``dominance.json``
and ``dominance.md``, rewritten after every row.

    python benchmarks/bench_dominance.py --cells relu --time-limit 300
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from capacity.domain import Domain
from capacity.features import from_spec
from capacity.solvers import sat
from capacity.solvers.problem import Problem

# (name, activation, m, K, width, mode)
CELLS = [
    ("relu m5 K3 w2", "relu", 5, 3, 2, "full"),
    ("relu m5 K1 w3", "relu", 5, 1, 3, "full"),
    ("relu m5 K2 w2", "relu", 5, 2, 2, "full"),
    ("relu m5 K1 w4", "relu", 5, 1, 4, "full"),
    ("relu m4 K2 w2", "relu", 4, 2, 2, "full"),
    ("step m9 w5", "step", 9, 1, 5, "full"),
    ("step m10 w5", "step", 10, 1, 5, "full"),
    ("step m9 w6", "step", 9, 1, 6, "full"),
    ("step m10 w6", "step", 10, 1, 6, "search"),
]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cpu() -> float:
    return time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def search_only(problem, dominance, time_limit):
    """CaDiCaL 1.9.5 on the CNF, no proof: (answer, conflicts)."""
    from pysat.solvers import Solver

    from capacity.solvers._interrupt import deadline_timer

    clauses, _, info = sat.encode(problem, dominance=dominance)
    s = Solver(name="cadical195", bootstrap_with=clauses)
    timer = deadline_timer(s, "cadical195", time.perf_counter() + time_limit)
    try:
        answer = s.solve_limited()
        conflicts = int(s.accum_stats()["conflicts"])
    finally:
        if timer is not None:
            timer.cancel()
        s.delete()
    return {True: "REPRESENTABLE", False: "NOT_REPRESENTABLE", None: "UNKNOWN"}[answer], conflicts, info


def run(cell, dominance, time_limit):
    name, act, m, K, width, mode = cell
    problem = Problem(from_spec(Domain(m, sparsity=2), "pairs"), width, act, K)
    load0, c0, t0 = os.getloadavg()[0], cpu(), time.perf_counter()
    if mode == "full":
        r = sat.solve(problem, time_limit=time_limit, dominance=dominance, symmetric_search=False)
        status, conflicts, info = r.status.name, r.info.get("conflicts"), r.info
    else:
        status, conflicts, info = search_only(problem, dominance, time_limit)
    return {"cell": name, "dominance": dominance, "mode": mode, "status": status, "conflicts": conflicts,
            "wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(cpu() - c0, 2),
            "solve_s": info.get("solve_seconds"), "check_s": info.get("check_seconds"),
            "clauses": info.get("clauses"), "dominance_clauses": info.get("dominance_clauses"),
            "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2),
            "time_limit": time_limit}


def write(rows, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    (out / "dominance.json").write_text(json.dumps(rows, indent=1) + "\n")
    cols = ["cell", "dominance", "mode", "status", "conflicts", "wall_s", "cpu_s", "solve_s", "check_s",
            "clauses", "load_before", "load_after"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c)) for c in cols) + " |" for r in rows]
    (out / "dominance.md").write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="all", help="'all', 'relu', 'step' or a substring of a cell name")
    ap.add_argument("--variants", default="off,down,both")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = ap.parse_args(argv)
    cells = [c for c in CELLS if args.cells == "all" or args.cells in c[0]]
    rows = []
    for cell in cells:
        for dominance in args.variants.split(","):
            log(f"{cell[0]} dominance={dominance} ...")
            row = run(cell, dominance, args.time_limit)
            log(f"  {row['status']} conflicts={row['conflicts']} wall={row['wall_s']}s cpu={row['cpu_s']}s "
                f"load={row['load_before']}")
            rows.append(row)
            write(rows, args.out)


if __name__ == "__main__":
    main()
