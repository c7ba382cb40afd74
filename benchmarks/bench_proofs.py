"""Benchmark: proof checking next to the solve, on the refuted widths of the U-AND ladders.

Usage:
    python benchmarks/bench_proofs.py [--out benchmarks/out] [--solve-cap 300] [--check-cap 150]
                                      [--preset smoke|full|ladder] [--no-c153] [--no-progress]

Instances (all pairwise ANDs on 2-sparse inputs, the CNF of ``capacity.solvers.sat.encode``, symmetry breaking
on): ``full``, each at a width below its minimum width: step units (K = 1) m = 6..9 and ReLU units (K = 1)
m = 4..6, ReLU K = 2 at m = 5 (``smoke``: the three smallest); ``ladder``, every width from 1 up to the first
that is not refuted within the solve cap, of step U-AND K = 1, m = 6..10, and ReLU U-AND m = 3..6, K = 1..3
(run it with ``--check-cap 0 --no-c153`` for the LRAT check alone). Per instance, in this order and in one
process:

* CaDiCaL 1.9.5 with LRAT tracing (the default of ``sat.solve``) solves the CNF (``--solve-cap`` seconds of
  wall time, conflict-budget slices); its proof is checked with ``engine="lrat"`` (hints, one linear pass);
* the same lemmas without their hints (``capacity.lrat.lrat_to_drup``, not timed) are checked by the DRUP
  engines, the forward replay (``numba``) and the backward core-first checker (``backward``), each stopped at
  ``--check-cap`` seconds of wall time (then reported as at least the CPU seconds spent);
* CaDiCaL 1.5.3 (the old default, DRUP only) solves the same CNF, for the solve-time cost of tracing LRAT.

Every time is taken as CPU seconds (this process plus its children) and wall seconds, with the load average
before and after, because the machine may be shared; ratios are CPU-second ratios of the same run. The Numba
kernels are compiled (or loaded) before any timing. Writes ``proofs.json`` and ``proofs.md`` (other presets:
``proofs-<preset>``) to ``--out``
(default ``benchmarks/out``; the tracked results are written only with ``--out benchmarks/results``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from capacity import Domain, Problem, from_spec
from capacity.drup import check_drup
from capacity.lrat import lrat_solver, lrat_to_drup, solver_proof
from capacity.solvers.sat import encode

FULL = [("step", 6, 4, 1), ("step", 7, 5, 1), ("step", 8, 5, 1), ("relu", 4, 2, 1), ("relu", 5, 2, 1),
        ("relu", 5, 3, 1), ("relu", 5, 2, 2), ("step", 9, 5, 1), ("relu", 6, 3, 1)]
PRESETS = {"smoke": FULL[:1] + FULL[3:5], "full": FULL, "ladder": None}
LADDERS = [("step", m, 1) for m in range(6, 11)] + [("relu", m, K) for m in range(3, 7) for K in (1, 2, 3)]


def commit() -> str:
    """The code under test: the git commit, with ``+dirty`` when the work tree differs from it."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "capacity"], cwd=root, capture_output=True,
                               text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def cpu() -> float:
    """CPU seconds of this process (all threads) and its children."""
    return time.process_time() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def solve(clauses, name, cap):
    """``(answer, proof, wall s, cpu s)``; answer None when ``cap`` wall seconds ran out."""
    w, c = time.perf_counter(), cpu()
    s = lrat_solver(name, clauses)
    try:
        answer = None
        while answer is None and time.perf_counter() - w < cap:
            s.conf_budget(2000)
            answer = s.solve_limited()
        proof = solver_proof(s) if answer is False else None
    finally:
        s.delete()
    return answer, proof, time.perf_counter() - w, cpu() - c


def timed_check(clauses, proof, engine, cap):
    w, c = time.perf_counter(), cpu()
    r = check_drup(clauses, proof, engine=engine, deadline=time.perf_counter() + cap)
    assert r.ok or r.timed_out, (engine, r.reason)
    return r, round(time.perf_counter() - w, 3), round(cpu() - c, 3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"))
    ap.add_argument("--preset", choices=sorted(PRESETS), default="full")
    ap.add_argument("--solve-cap", type=float, default=300.0, help="wall seconds per solve")
    ap.add_argument("--check-cap", type=float, default=150.0, help="wall seconds per DRUP check (0: none)")
    ap.add_argument("--no-c153", action="store_true", help="skip the CaDiCaL 1.5.3 solve")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    four = [[1, 2], [1, -2], [-1, 2], [-1, -2]]
    for engine, proof in (("lrat", "5 1 0 1 2 0\n6 0 5 3 4 0\n"), ("numba", ["2 0", "0"]), ("backward", ["2 0", "0"])):
        assert check_drup(four, proof, engine=engine).ok  # compile or load the kernels outside the timings
    meta = {"preset": args.preset, "solve_cap_s": args.solve_cap, "check_cap_s": args.check_cap,
            "machine": platform.machine(), "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit()}
    rows = []
    bar = tqdm(PRESETS[args.preset] or LADDERS, disable=args.no_progress, file=sys.stderr)
    for case in bar:
        for width in [case[2]] if len(case) == 4 else range(1, 3 * case[1]):
            act, m, K = case[0], case[1], case[-1]
            bar.set_description(f"{act} U-AND m={m} K={K} width {width}")
            row = run(act, m, width, K, args)
            rows.append(row)
            tqdm.write(json.dumps(row), file=sys.stderr)
            write(out, args.preset, meta, rows)
            if row["answer"] != "UNSAT":  # a ladder stops at its minimum width, or where the solve ran out
                break
    print(f"wrote {out / stem(args.preset)}.json and .md")


def stem(preset) -> str:
    return "proofs" if preset == "full" else f"proofs-{preset}"


def run(act, m, width, K, args) -> dict:
    """One instance: the solve with LRAT, the LRAT check, the DRUP engines on the same lemmas, CaDiCaL 1.5.3."""
    clauses, _, info = encode(Problem(from_spec(Domain(m, 2), "pairs"), width, act, K))
    row = {"activation": act, "m": m, "K": K, "width": width, "variables": info["variables"],
           "clauses": len(clauses), "load_before": round(os.getloadavg()[0], 2)}
    answer, proof, sw, sc = solve(clauses, "cadical195", args.solve_cap)
    row.update({"answer": {None: "UNKNOWN", True: "SAT", False: "UNSAT"}[answer], "solve_s": round(sw, 3),
                "solve_cpu_s": round(sc, 3)})
    if answer is False:
        lrat, row["lrat_s"], row["lrat_cpu_s"] = timed_check(clauses, proof, "lrat", args.solve_cap)
        drup = lrat_to_drup(clauses, proof) if args.check_cap > 0 else None
        row.update({"proof_mb": round(len(proof) / 1e6, 1), "lemmas": lrat.lemmas,
                    "lrat_over_solve_cpu": round(row["lrat_cpu_s"] / max(sc, 1e-9), 3)})
        for engine, key in (("numba", "forward"), ("backward", "backward")) if args.check_cap > 0 else ():
            r, row[f"{key}_s"], row[f"{key}_cpu_s"] = timed_check(clauses, drup, engine, args.check_cap)
            row[f"{key}_done"] = not r.timed_out
            row[f"{key}_over_solve_cpu"] = round(row[f"{key}_cpu_s"] / max(sc, 1e-9), 2)
            if key == "backward" and r.ok:
                row["core"] = r.core
        del proof, drup
    if not args.no_c153:
        answer153, _, sw, sc = solve(clauses, "cadical153", args.solve_cap)
        row.update({"c153_answer": {None: "UNKNOWN", True: "SAT", False: "UNSAT"}[answer153],
                    "c153_solve_s": round(sw, 3), "c153_solve_cpu_s": round(sc, 3)})
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def write(out, preset, meta, rows):
    meta = {**meta, "load_average_at_end": os.getloadavg()}
    (out / f"{stem(preset)}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))

    def cell(r, key):
        if key not in r:
            return "-"
        done = r.get(key.replace("_cpu_s", "_done").replace("_over_solve_cpu", "_done"), True)
        return f"{r[key]}" if done else f"> {r[key]}"

    cols = ["activation", "m", "K", "width", "answer", "lemmas", "solve_cpu_s", "lrat_cpu_s", "lrat_over_solve_cpu",
            "forward_cpu_s", "forward_over_solve_cpu", "backward_cpu_s", "backward_over_solve_cpu",
            "c153_answer", "c153_solve_cpu_s", "load_before", "load_after"]
    md = ["# Proof checking next to the solve (CPU seconds, one run)", "",
          "CaDiCaL 1.9.5 with LRAT hints solves; `lrat` checks the hints; `forward` (numba) and `backward` check the "
          "same lemmas without hints (stopped at the check cap: `> x` is the CPU time spent by then); "
          "`c153_solve_cpu_s` is CaDiCaL 1.5.3 (DRUP, the old default) on the same CNF.", "", f"{meta}", "",
          "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(cell(r, c) for c in cols) + " |" for r in rows]
    (out / f"{stem(preset)}.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
