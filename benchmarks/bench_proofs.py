"""Benchmark: DRUP proof checking, the backward core-first checker against the forward replay (its compiled
twin that checks every lemma), on the same proofs in the same run, next to the time CaDiCaL took to find them.

Usage:
    python benchmarks/bench_proofs.py [--out benchmarks/out] [--time-limit 120] [--max-step-m 7]
                                      [--max-relu-m 5] [--no-progress]

Instances: the UNSAT widths below the minimum width of the U-AND ladders (all pairwise ANDs on 2-sparse
inputs, weights in [-1, 1]): step units for m = 4..max-step-m and ReLU units for m = 4..max-relu-m, the CNF
of ``capacity.solvers.sat.encode`` (symmetry breaking on). Each CNF is solved once by CaDiCaL 1.5.3 (python-sat,
``--time-limit`` seconds per width, conflict-budget slices); its proof is then checked by the forward replay
(``engine="numba"``) and by the backward checker (``engine="backward"``), each timed by wall clock and by the
process's CPU time (robust on a loaded machine). Writes ``proofs.json`` and ``proofs.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from capacity import Domain, Problem, from_spec
from capacity.drup import check_drup
from capacity.solvers.sat import encode


def instances(max_step_m, max_relu_m):
    for act, top in (("step", max_step_m), ("relu", max_relu_m)):
        for m in range(4, top + 1):
            yield act, m


def solve(clauses, limit):
    """CaDiCaL on the CNF: ``(answer, proof, wall seconds, cpu seconds)``; answer None when out of time."""
    from pysat.solvers import Solver

    t, c = time.perf_counter(), time.process_time()
    with Solver(name="cadical153", with_proof=True, bootstrap_with=clauses) as s:
        answer = None
        while answer is None and time.perf_counter() - t < limit:
            s.conf_budget(2000)
            answer = s.solve_limited()
        proof = s.get_proof() if answer is False else None
    return answer, proof, time.perf_counter() - t, time.process_time() - c


def timed_check(clauses, proof, engine):
    c = time.process_time()
    r = check_drup(clauses, proof, engine=engine)
    assert r.ok, (engine, r.reason)
    return r, time.process_time() - c


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--time-limit", type=float, default=120.0, help="seconds per solve")
    ap.add_argument("--max-step-m", type=int, default=7)
    ap.add_argument("--max-relu-m", type=int, default=5)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    bar = tqdm(list(instances(args.max_step_m, args.max_relu_m)), disable=args.no_progress, file=sys.stderr)
    for act, m in bar:
        feats = from_spec(Domain(m, 2), "pairs")
        for width in range(1, 3 * m):
            bar.set_description(f"{act} U-AND m={m} width {width}")
            clauses, _, _ = encode(Problem(feats, width, act, 1))
            answer, proof, solve_s, solve_cpu = solve(clauses, args.time_limit)
            if answer is not False:  # SAT: the minimum width is reached; None: out of time
                break
            check_drup(clauses, ["0"], engine="numba")  # compile outside the timings
            check_drup(clauses, ["0"], engine="backward")
            fwd, fwd_cpu = timed_check(clauses, proof, "numba")
            bwd, bwd_cpu = timed_check(clauses, proof, "backward")
            row = {"activation": act, "m": m, "width": width, "proof_lines": len(proof), "lemmas": fwd.lemmas,
                   "core": bwd.core, "solve_s": round(solve_s, 3), "solve_cpu_s": round(solve_cpu, 3),
                   "forward_s": round(fwd.seconds, 3), "forward_cpu_s": round(fwd_cpu, 3),
                   "backward_s": round(bwd.seconds, 3), "backward_cpu_s": round(bwd_cpu, 3),
                   "forward_over_backward_cpu": round(fwd_cpu / max(bwd_cpu, 1e-9), 2),
                   "backward_over_solve_cpu": round(bwd_cpu / max(solve_cpu, 1e-9), 2)}
            rows.append(row)
            tqdm.write(json.dumps(row), file=sys.stderr)
    meta = {"time_limit_s": args.time_limit, "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "proofs.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    cols = ["activation", "m", "width", "lemmas", "core", "solve_cpu_s", "forward_cpu_s", "backward_cpu_s",
            "forward_over_backward_cpu", "backward_over_solve_cpu"]
    md = ["# DRUP checking: backward (core only) vs forward replay (CPU seconds, one run)", "", f"{meta}", "",
          "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    (out / "proofs.md").write_text("\n".join(md) + "\n")
    print(f"wrote {out / 'proofs.json'} and {out / 'proofs.md'}")


if __name__ == "__main__":
    main()
