"""Experiment: incremental SAT across widths (issue 17, item b) against one fresh SAT call per width.

Usage:
    python benchmarks/bench_engine_incremental.py [--out benchmarks/out] [--cells relu:4:1,relu:5:1] [--cap 300]

Per cell (ReLU U-AND: all pairwise ANDs on 2-sparse inputs, K = weight bound) with known minimum width n*:

* ``fresh``: ``capacity.solvers.sat.solve`` at widths 1 .. n*, each a new solver with its own LRAT proof check
  (what ``method="sat"`` does);
* ``incremental``: ONE CaDiCaL 1.9.5 solver on the width-n* CNF plus, per unit j, a literal ``r_j`` with
  ``r_j -> W_out[:, j] = 0``. Width n is asked under the assumptions ``r_0 .. r_{n*-n-1}`` (the first units
  readout-free: by rule 4b of the encoding they are then the canonical dead unit, which sorts first), learned
  clauses kept from width to width. Each UNSAT is certified for ITS width: the LRAT trace so far, closed by one
  step from CaDiCaL's failing-assumption clause and the units ``r_j`` added to the formula, is checked by
  ``capacity.drup.check_drup``. (A width-n network padded with canonical units satisfies the width-n* CNF with
  those units, so that formula is unsatisfiable only if width n is not representable.)

Both are given n* (the best case for ``incremental``, which otherwise must guess its top width). Records per
cell and variant the wall seconds, CPU seconds (``time.process_time()`` plus children) and the load average;
the ratio incremental / fresh is from the same run. Writes ``engine-incremental.json`` and ``.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_STAR = {"relu:4:1": 3, "relu:4:2": 2, "relu:4:3": 2, "relu:5:1": 4, "relu:5:2": 3, "relu:3:1": 2}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + r.ru_utime + r.ru_stime


def _problem(cell, n):
    from capacity import Domain, Problem, from_spec

    act, m, K = cell.split(":")
    return Problem(from_spec(Domain(int(m), 2), "pairs"), n, act, int(K))


def fresh(cell, n_star, cap):
    from capacity.solvers import sat

    t0, steps = time.perf_counter(), []
    for n in range(1, n_star + 1):
        left = cap - (time.perf_counter() - t0)
        if left <= 0:
            break
        r = sat.solve(_problem(cell, n), time_limit=left)
        steps.append({"width": n, "status": str(r.status), "seconds": round(r.seconds, 3),
                      "check_seconds": r.info.get("check_seconds")})
        print(f"    fresh width {n}: {r.status} {r.seconds:.1f}s", flush=True)
        if str(r.status) != "NOT_REPRESENTABLE":
            break
    return steps


def _encode_with_readout_literals(problem):
    """The width-n* CNF and, per unit j, the literals that fix ``W_out[:, j]`` to 0 (the encoder's integers
    are recorded while it runs; no change to the package)."""
    from capacity.solvers import sat

    ints, orig = {}, sat._Encoder.integer

    def integer(self, name, lo, hi):
        x = orig(self, name, lo, hi)
        ints[name] = x
        return x

    sat._Encoder.integer = integer
    try:
        clauses, decode, info = sat.encode(problem)
    finally:
        sat._Encoder.integer = orig
    n, F = problem.d_hidden, problem.n_features
    zero = [[b if (-ints[("W_out", f, j)].lo >> k) & 1 else -b
             for f in range(F) for k, b in enumerate(ints[("W_out", f, j)].bits)] for j in range(n)]
    return clauses, decode, info, zero


def _closing(proof: bytes, n_formula: int, assumed: list[int]):
    """LRAT text closing the trace with the empty clause from the last failing-assumption clause (every literal
    the negation of an assumed literal) and the units ``[r]`` appended to the formula; or None."""
    from capacity.lrat import parse_lrat

    ids, dels, nlits, _, lits, _ = parse_lrat(proof)
    neg = {-a for a in assumed}
    ends = nlits.cumsum()
    fail = None
    for k in range(len(ids) - 1, -1, -1):
        if not dels[k] and nlits[k] and set(lits[ends[k] - nlits[k]:ends[k]].tolist()) <= neg:
            fail = int(ids[k])
            break
    if fail is None:
        return None
    used, nxt, unit_ids = set(ids[~dels].tolist()), 0, []
    for j in range(n_formula + len(assumed)):  # formula clauses take the ids no added line uses, in order
        nxt += 1
        while nxt in used:
            nxt += 1
        if j >= n_formula:
            unit_ids.append(nxt)
    top = max(int(ids.max(initial=0)), nxt) + 1
    return bytes(proof).rstrip(b"\n") + f"\n{top} 0 {' '.join(map(str, unit_ids))} {fail} 0\n".encode()


def incremental(cell, n_star, cap):
    from capacity.drup import check_drup
    from capacity.lrat import lrat_solver, solver_proof
    from capacity.solvers._interrupt import deadline_timer
    from capacity.solvers.problem import verify_witness

    t0, steps = time.perf_counter(), []
    problem = _problem(cell, n_star)
    clauses, decode, info, zero = _encode_with_readout_literals(problem)
    top = info["variables"]
    r = list(range(top + 1, top + n_star + 1))
    formula = clauses + [[-r[j], lit] for j in range(n_star) for lit in zero[j]]
    s = lrat_solver("cadical195", formula)
    timer = deadline_timer(s, "cadical195", t0 + cap)
    try:
        for n in range(1, n_star + 1):
            t = time.perf_counter()
            assumed = r[:n_star - n]
            answer = s.solve_limited(assumptions=assumed)
            step = {"width": n, "solve_seconds": round(time.perf_counter() - t, 3)}
            if answer is None:
                steps.append({**step, "status": "UNKNOWN"})
                break
            if answer:
                net = decode(s.get_model())
                keep = [j for j in range(n_star) if (net.W_out[:, j] != 0).any()]
                from capacity import Network

                small = Network(net.W_in[keep], net.b_in[keep], net.W_out[:, keep], net.b_out, net.activation)
                ok = len(keep) <= n and verify_witness(_problem(cell, n), small)[0]
                steps.append({**step, "status": "REPRESENTABLE" if ok else "BAD WITNESS"})
                break
            proof = _closing(solver_proof(s), len(formula), assumed)
            tc = time.perf_counter()
            check = None if proof is None else check_drup(formula + [[x] for x in assumed], proof,
                                                          deadline=t0 + cap)
            ok = check is not None and check.ok
            steps.append({**step, "status": "NOT_REPRESENTABLE" if ok else "UNCHECKED",
                          "check_seconds": round(time.perf_counter() - tc, 3),
                          "reason": None if check is None else check.reason[:120]})
            print(f"    incremental width {n}: {steps[-1]['status']} {step['solve_seconds']:.1f}s "
                  f"+ check {steps[-1]['check_seconds']:.1f}s", flush=True)
            if not ok:
                break
    finally:
        if timer is not None:
            timer.cancel()
        s.delete()
    return steps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    ap.add_argument("--cells", default="relu:4:1,relu:4:2,relu:5:1,relu:5:2")
    ap.add_argument("--cap", type=float, default=300.0, help="seconds per cell and variant")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for cell in args.cells.split(","):
        row = {"cell": cell, "n_star": N_STAR[cell]}
        for name, fn in (("fresh", fresh), ("incremental", incremental)):
            print(f"{cell} {name} ...", flush=True)
            w, c = time.perf_counter(), _cpu()
            steps = fn(cell, N_STAR[cell], args.cap)
            row[name] = {"steps": steps, "wall_s": round(time.perf_counter() - w, 3), "cpu_s": round(_cpu() - c, 3),
                         "load": round(os.getloadavg()[0], 2),
                         "proved": len(steps) == N_STAR[cell] and steps[-1]["status"] == "REPRESENTABLE"
                         and all(s["status"] == "NOT_REPRESENTABLE" for s in steps[:-1])}
            print(f"  {name}: proved={row[name]['proved']} {row[name]['wall_s']}s wall, {row[name]['cpu_s']} cpu",
                  flush=True)
        f, i = row["fresh"], row["incremental"]
        row["cpu_ratio_incremental_to_fresh"] = round(i["cpu_s"] / f["cpu_s"], 3) if f["proved"] and i["proved"] \
            else None
        rows.append(row)
        (out / "engine-incremental.json").write_text(json.dumps({"rows": rows, "date": time.strftime(
            "%Y-%m-%d %H:%M", time.gmtime()), "cpus": os.cpu_count()}, indent=2))
    md = ["# Incremental SAT across widths vs one fresh SAT call per width (one run)", "",
          "| cell | n* | fresh: proved, wall, CPU | incremental: proved, wall, CPU | CPU ratio inc / fresh | load |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        f, i = r["fresh"], r["incremental"]
        md.append(f"| {r['cell']} | {r['n_star']} | {f['proved']}, {f['wall_s']} s, {f['cpu_s']} | {i['proved']}, "
                  f"{i['wall_s']} s, {i['cpu_s']} | {r['cpu_ratio_incremental_to_fresh'] or '-'} | "
                  f"{max(f['load'], i['load'])} |")
    (out / "engine-incremental.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
