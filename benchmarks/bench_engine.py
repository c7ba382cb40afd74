"""Benchmark: the certified engine against the old pipeline and a plain CP-SAT model, cell by cell (issue 17).

Usage:
    python benchmarks/bench_engine.py [--out benchmarks/out] [--cap 60] [--old-cap 45] [--base-cap 60]
                                      [--cells relu:3:1,relu:4:2,step:9:1] [--old-rev 83b98ad]
                                      [--workers 1,2]

Cells: U-AND (all pairwise ANDs on 2-sparse inputs, feature family ``pairs``) with ReLU units for m = 3..6 and
K = 1, 2, 3, and with step units, K = 1, for m = 9 and 10. Per cell, three pipelines, one after the other in
the same run, each in its own process (killed at its cap + 30 s; a killed run is UNKNOWN):

* ``new``: :func:`capacity.min_width` with ``method="auto"`` and ``time_limit=--cap`` (witness at n*, checked
  refutation at n* - 1, proof check included in the time);
* ``old``: the same call on the package as of ``--old-rev`` (extracted with ``git archive``), ``--old-cap``;
* ``cpsat-plain``: a plain CP-SAT model written as a new user would (:func:`plain_model`: ``max(0, z)`` and
  products as CP-SAT constraints, 2 workers, lexicographic order on hidden units, nothing else) on OUR class:
  weights in [-K, K], hidden and readout biases free (a range that provably covers every behaviour, the same
  as the SAT encoding's). Its refutations are CP-SAT's word only (unchecked). Widths upwards from 1.

``--workers 1,2`` runs the new pipeline once per value (``new`` with 1, ``new-w2`` with
``min_width(..., workers=2)``: the parallel portfolio of ``auto``) and reports the ratio workers N / workers 1 in
wall and CPU seconds, and an idle-machine estimate from the CPU seconds of each portfolio step.

``--check-ratio`` instead measures the proof check against the search on every SAT refutation of the ladders:
all ``--cells`` one after the other in ONE fresh process (the package of the working tree, step cells up to
width 5), ``--cap`` seconds each, once with Numba's disk cache as it is and once with an empty cache directory
(``NUMBA_CACHE_DIR``: a fresh CI machine); writes ``check-ratio.json`` and ``check-ratio.md``.

Writes ``engine.json`` and ``engine.md`` to ``--out`` with, per cell, each pipeline's answer, wall seconds and
CPU seconds of the call (``time.process_time()``, every thread, plus its children's
``resource.getrusage(RUSAGE_CHILDREN)``; for a killed run the whole process's), the load average after it,
the ratios new / cpsat-plain (wall and CPU), and for the new pipeline the proof-check / solve ratio at n* - 1.
The machine may be shared: the CPU seconds say what an idle machine would need, the load how shared it was.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELLS = [f"relu:{m}:{K}" for m in range(3, 7) for K in (1, 2, 3)] + ["step:9:1", "step:10:1"]


def _features(m):
    from capacity import Domain, from_spec

    return from_spec(Domain(m, 2), "pairs")


def plain_model(features, n, K, activation):
    """The plain CP-SAT model of "can ``n`` units compute ``features``" on our class. Returns
    ``(model, W, B, V, C)``."""
    import numpy as np
    from ortools.sat.python import cp_model

    from capacity.solvers.cpsat import _lex_leq

    X = features.domain.points.astype(int)
    N, m = X.shape
    ones = features.bits
    F = len(features)
    reach = int(X.sum(axis=1).max()) * K  # largest |W . x| on the domain
    lo_b, hi_b = (-reach - 1, reach) if activation == "step" else (-reach, reach)
    zmax = reach + max(abs(lo_b), hi_b)
    model = cp_model.CpModel()
    W = [[model.new_int_var(-K, K, f"W_in[{j},{i}]") for i in range(m)] for j in range(n)]
    B = [model.new_int_var(lo_b, hi_b, f"b_in[{j}]") for j in range(n)]
    H = [[None] * N for _ in range(n)]
    for j in range(n):
        for p in range(N):
            z = model.new_int_var(-zmax, zmax, f"z[{j},{p}]")
            model.add(z == sum(W[j][i] for i in range(m) if X[p, i]) + B[j])
            if activation == "relu":
                H[j][p] = model.new_int_var(0, zmax, f"h[{j},{p}]")
                model.add_max_equality(H[j][p], [z, 0])
            else:
                H[j][p] = model.new_bool_var(f"h[{j},{p}]")
                model.add(z >= 0).only_enforce_if(H[j][p])
                model.add(z <= -1).only_enforce_if(~H[j][p])
    hmax = zmax if activation == "relu" else 1
    T = n * K * hmax
    V = [[model.new_int_var(-K, K, f"W_out[{f},{j}]") for j in range(n)] for f in range(F)]
    C = [model.new_int_var(-T - 1, T, f"b_out[{f}]") for f in range(F)]
    for f in range(F):
        for p in range(N):
            prods = []
            for j in range(n):
                t = model.new_int_var(-K * hmax, K * hmax, f"t[{f},{j},{p}]")
                model.add_multiplication_equality(t, [V[f][j], H[j][p]])
                prods.append(t)
            if ones[f, p]:
                model.add(sum(prods) + C[f] >= 0)
            else:
                model.add(sum(prods) + C[f] <= -1)
    for a in range(n - 1):
        _lex_leq(model, [*W[a], B[a]], [*W[a + 1], B[a + 1]])
    del np
    return model, W, B, V, C


def plain_min_width(m, K, activation, cap):
    """Widths upwards from 1 with :func:`plain_model`, 2 workers, until a (verified) witness or ``cap`` s."""
    import numpy as np
    from ortools.sat.python import cp_model

    from capacity import Network, Problem
    from capacity.solvers.problem import verify_witness

    fs = _features(m)
    t0 = time.perf_counter()
    steps = []
    for n in range(1, fs.domain.size + 1):
        left = cap - (time.perf_counter() - t0)
        if left <= 0:
            break
        model, W, B, V, C = plain_model(fs, n, K, activation)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = left
        t = time.perf_counter()
        st = solver.solve(model)
        steps.append({"width": n, "status": solver.status_name(st), "seconds": round(time.perf_counter() - t, 3)})
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            val = lambda xs: np.array([[solver.value(v) for v in row] for row in xs], dtype=np.int64)  # noqa: E731
            net = Network(val(W), val([B])[0], val(V), val([C])[0], activation)
            ok, why = verify_witness(Problem(fs, n, activation, K), net)
            if not ok:
                raise AssertionError(f"plain CP-SAT witness fails verification: {why}")
            lower_ok = n == 1 or steps[-2]["status"] == "INFEASIBLE"
            return {"n_star": n if lower_ok else None, "proven": lower_ok, "steps": steps,
                    "certificate": "unchecked (CP-SAT INFEASIBLE)" if n > 1 else "width-1"}
        if st != cp_model.INFEASIBLE:
            break
    return {"n_star": None, "proven": False, "steps": steps, "certificate": ""}


def package_min_width(m, K, activation, cap, workers=1):
    """:func:`capacity.min_width` (``auto``) of whichever ``capacity`` package is on the path."""
    from capacity import min_width

    kw = {"workers": workers} if workers > 1 else {}
    r = min_width(_features(m), activation=activation, weight_bound=K, method="auto", time_limit=cap, **kw)
    return {"n_star": r.min_width, "proven": r.proven, "lower": r.lower, "upper": r.upper,
            "certificate": r.certificate_kind or "", "steps": [dict(s) for s in r.steps]}


def _ladder_checks(args):
    """Child process (``--check-ratio``): every cell in this one process; each refutation's solve and check."""
    from capacity import min_width

    rows = []
    for cell in args.one_cell.split(","):
        act, m, K = cell.split(":")
        r = min_width(_features(int(m)), activation=act, weight_bound=int(K), time_limit=args.one_cap,
                      max_width=5 if act == "step" else None)
        rows += [{"cell": cell, "width": s["width"], "method": s["method"], "solve_s": s["solve_seconds"],
                  "check_s": s["check_seconds"], "ratio": round(s["check_seconds"] / max(s["solve_seconds"], 1e-6), 3)}
                 for s in r.steps if s["status"] == "NOT_REPRESENTABLE" and "check_seconds" in s]
        print(f"{cell}: {r.status} [{r.lower}, {r.upper}]", file=sys.stderr, flush=True)
    print("RESULT " + json.dumps(rows), flush=True)


def check_ratio(args):
    """``--check-ratio``: the ladders in one fresh process, with the Numba cache as it is and with an empty one."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for label in ("cache as is", "empty cache"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
            if label == "empty cache":
                env["NUMBA_CACHE_DIR"] = tmp
            print(f"{label}: {args.cells} in one process ...", flush=True)
            t, cpu0, load0 = time.perf_counter(), _child_cpu(), round(os.getloadavg()[0], 2)
            p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", "ladder-checks", "--one-cell",
                                args.cells, "--one-cap", str(args.cap)], env=env, capture_output=True, text=True,
                               cwd=ROOT, timeout=len(args.cells.split(",")) * (args.cap + 30))
            line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
            runs[label] = {"rows": json.loads(line[7:]) if line else [], "wall_s": round(time.perf_counter() - t, 1),
                           "cpu_s": round(_child_cpu() - cpu0, 1), "load_before": load0,
                           "load_after": round(os.getloadavg()[0], 2), "stderr": p.stderr[-2000:]}
    (out / "check-ratio.json").write_text(json.dumps(runs, indent=2))
    md = ["# Proof check / search on every SAT refutation of the ladders (one fresh process per run)", ""]
    for label, run in runs.items():
        worst = max((r["ratio"] for r in run["rows"]), default=None)
        md += [f"## {label}: {len(run['rows'])} refutations, largest check / solve {worst}; {run['wall_s']} s wall, "
               f"{run['cpu_s']} CPU s, load {run['load_before']} -> {run['load_after']}", "",
               "| cell | width | method | solve s | check s | check / solve |", "|---|---|---|---|---|---|"]
        md += [f"| {r['cell']} | {r['width']} | {r['method']} | {r['solve_s']:.4f} | {r['check_s']:.4f} | {r['ratio']} |"
               for r in run["rows"]] + [""]
    (out / "check-ratio.md").write_text("\n".join(md))
    print("\n".join(md))


def _one(args):
    """Child process: one pipeline on one cell, JSON on stdout."""
    if args.one == "ladder-checks":
        return _ladder_checks(args)
    act, m, K = args.one_cell.split(":")
    t, c = time.perf_counter(), time.process_time() + _child_cpu()
    if args.one == "cpsat-plain":
        res = plain_min_width(int(m), int(K), act, args.one_cap)
    else:
        res = package_min_width(int(m), int(K), act, args.one_cap, args.one_workers)
    res["seconds"] = round(time.perf_counter() - t, 3)
    res["call_cpu_s"] = round(time.process_time() + _child_cpu() - c, 3)  # every thread, without the imports
    print("RESULT " + json.dumps(res, default=str), flush=True)


def run_cell(pipeline, cell, cap, src):
    """One pipeline on one cell in a child process importing the package from ``src[pipeline]``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "PYTHONPATH": str(src[pipeline])}
    workers = int(pipeline.split("-w")[1]) if pipeline.startswith("new-w") else 1
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", "cpsat-plain" if pipeline == "cpsat-plain"
           else "package", "--one-cell", cell, "--one-cap", str(cap), "--one-workers", str(workers)]
    t = time.perf_counter()
    cpu0 = _child_cpu()
    load_before = round(os.getloadavg()[0], 2)
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=cap + 30, cwd=src[pipeline])
    except subprocess.TimeoutExpired:
        res = {"n_star": None, "proven": False, "killed": True, "seconds": round(time.perf_counter() - t, 3),
               "certificate": "", "steps": []}
    else:
        line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
        res = json.loads(line[7:]) if line else {
            "n_star": None, "proven": False, "error": out.stderr.strip().splitlines()[-1:] or ["no output"],
            "seconds": round(time.perf_counter() - t, 3), "certificate": "", "steps": []}
    res["wall_s"] = round(time.perf_counter() - t, 3)  # the process, imports included
    res["cpu_s"] = res.get("call_cpu_s", round(_child_cpu() - cpu0, 3))  # killed: the whole process's
    res["load"] = round(os.getloadavg()[0], 2)
    res["load_before"] = load_before
    return res


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _check_solve(res):
    """Proof-check seconds / solve seconds of the refutation at n* - 1 (new pipeline), when recorded."""
    if not res.get("proven") or not res.get("n_star") or res["n_star"] < 2:
        return None
    step = next((s for s in res["steps"] if s.get("width") == res["n_star"] - 1), None)
    if not step or not step.get("solve_seconds") or step.get("check_seconds") is None:
        return None
    return round(step["check_seconds"] / max(step["solve_seconds"], 1e-3), 3)


def _parallel_ratios(one, many):
    """workers N / workers 1: wall and CPU seconds of the call; ``same_answer`` compares n*, the bounds and each
    width both decided (status, method, certificate kind)."""
    def widths(r):
        return {s["width"]: (s["status"], s["method"], s.get("certificate_kind")) for s in r.get("steps", [])}

    # idle-machine estimate from CPU seconds: the portfolio widths' critical path replaces the sum of the
    # steps they needed (the same deterministic work as the sequential run's)
    saved = sum(s["needed_cpu_seconds"] - s["critical_path_cpu_seconds"] for s in many.get("steps", [])
                if "critical_path_cpu_seconds" in s and s["status"] != "UNKNOWN")
    w1, wn = widths(one), widths(many)
    same = all(one.get(k) == many.get(k) for k in ("n_star", "lower", "upper")) and \
        all(w1[w] == wn[w] for w in set(w1) & set(wn) if "UNKNOWN" not in (w1[w][0], wn[w][0]))
    return {"wall": round(many["seconds"] / one["seconds"], 3) if one.get("seconds") else None,
            "cpu": round(many["cpu_s"] / one["cpu_s"], 3) if one.get("cpu_s") else None,
            "same_answer": same,
            "cpu_saved_by_overlap_s": round(saved, 3),
            "idle_estimate": round((one["cpu_s"] - saved) / one["cpu_s"], 3) if one.get("cpu_s") else None}


def _cell_text(r):
    if r is None:
        return "-"
    refuted = [s["width"] for s in r.get("steps", []) if s.get("status") in ("NOT_REPRESENTABLE", "INFEASIBLE")]
    lower = r.get("lower", max(refuted, default=0) + 1)
    ans = str(r["n_star"]) if r.get("proven") else ("killed" if r.get("killed") else
                                                     f"[{lower}, {r.get('upper') or '?'}]")
    cpu = f" ({r['cpu_s']:.1f} cpu)" if r.get("cpu_s") else ""
    return f"{ans} {r['seconds']:.1f}s{cpu}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    ap.add_argument("--cap", type=float, default=60.0, help="time limit of the new pipeline per cell (s)")
    ap.add_argument("--old-cap", type=float, default=45.0)
    ap.add_argument("--base-cap", type=float, default=60.0)
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--pipelines", default="new,cpsat-plain,old")
    ap.add_argument("--old-rev", default="83b98ad")
    ap.add_argument("--workers", default="1",
                    help="comma list: the new pipeline once per value (workers > 1: the parallel portfolio of auto)")
    ap.add_argument("--one-workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--check-ratio", action="store_true",
                    help="measure proof check / search on every refutation of the cells, in one fresh process")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--one-cell", help=argparse.SUPPRESS)
    ap.add_argument("--one-cap", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        return _one(args)
    if args.check_ratio:
        return check_ratio(args)
    extra = [f"new-w{w}" for w in map(int, args.workers.split(",")) if w > 1]
    pipelines = [q for p in args.pipelines.split(",") for q in ([p, *extra] if p == "new" else [p])]
    caps = {"new": args.cap, "old": args.old_cap, "cpsat-plain": args.base_cap, **{q: args.cap for q in extra}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # frozen copies: the working tree as it is now (new, cpsat-plain) and the package at --old-rev (old);
        # edits made while the benchmark runs do not leak into it
        src = {p: Path(tmp) / ("old" if p == "old" else "new") for p in pipelines}
        pipelines_warm = [p for p in pipelines if not p.startswith("new-w")]  # the same copy as new
        shutil.copytree(ROOT / "capacity", Path(tmp) / "new" / "capacity",
                        ignore=shutil.ignore_patterns("__pycache__"))
        if "old" in pipelines:
            (Path(tmp) / "old").mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old_rev, "capacity"],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(Path(tmp) / "old")], input=archive, check=True)
        for p in pipelines_warm:  # warm-up (Numba compiles into each copy's cache, proof checkers too), not recorded
            print(f"warm-up {p} ...", flush=True)
            run_cell(p, "relu:3:1", 60, src)
            run_cell(p, "step:5:1", 60, src)
        rows = []
        cells = args.cells.split(",")
        for k, cell in enumerate(cells, 1):
            row = {"cell": cell}
            for p in pipelines:
                print(f"[{k}/{len(cells)}] {cell:10s} {p:12s} ...", end=" ", flush=True)
                row[p] = run_cell(p, cell, caps[p], src)
                print(_cell_text(row[p]), flush=True)
            new, base = row.get("new"), row.get("cpsat-plain")
            both = new and base and new.get("proven") and base.get("proven")
            row["ratio_new_to_plain"] = round(new["seconds"] / base["seconds"], 3) if both else None
            row["cpu_ratio_new_to_plain"] = (round(new["cpu_s"] / base["cpu_s"], 3)
                                             if both and base.get("cpu_s") else None)
            row["check_over_solve"] = _check_solve(new) if new else None
            for q in extra:
                row[f"ratio_{q}_to_new"] = _parallel_ratios(new, row[q]) if new else None
            rows.append(row)
            _write(out, args, pipelines, caps, rows)


def _write(out, args, pipelines, caps, rows):
    meta = {"caps_s": caps, "old_rev": args.old_rev, "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
    (out / "engine.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2, default=str))
    md = ["# Engine benchmark: U-AND cells, new pipeline vs old pipeline vs plain CP-SAT (one run)", "",
          f"Caps per cell: {caps}. Old pipeline: package at {args.old_rev}. "
          f"Machine: {meta['machine']}, {meta['cpus']} CPUs, load average at the end {meta['load_average']}, "
          f"{meta['date']} UTC.", "",
          "Each entry: proven minimum width n* (witness at n*, refutation at n* - 1), wall seconds of the whole "
          "ladder and, in brackets, its CPU seconds (all threads; a killed run: its whole process); `[lo, hi]` when not "
          "proven within the cap. The plain CP-SAT refutations are unchecked; ours are checked (proof check in "
          "the time). Ratios new / plain: wall, and CPU in brackets. Load: 1-minute load average after the "
          "cell's last run.",
          "", "| cell | " + " | ".join(pipelines) + " | new / plain | check / solve at n*-1 | load |",
          "|---|" + "---|" * (len(pipelines) + 3)]
    for r in rows:
        act, m, K = r["cell"].split(":")
        label = f"{act} m={m} K={K}"
        cells = [_cell_text(r.get(p)) for p in pipelines]
        ratio = "-" if r["ratio_new_to_plain"] is None else \
            f"{r['ratio_new_to_plain']} ({r.get('cpu_ratio_new_to_plain') or '-'})"
        load = max((r[p].get("load", 0) for p in pipelines if r.get(p)), default=0)
        md.append(f"| {label} | " + " | ".join(cells) + f" | {ratio}"
                  f" | {r['check_over_solve'] if r['check_over_solve'] is not None else '-'} | {load} |")
    extra = [p for p in pipelines if p.startswith("new-w")]
    if extra:
        md += ["", "Parallel portfolio: ratio workers N / workers 1 (wall; CPU), same answer (n*, bounds, each "
               "width both decided: status, method and certificate kind), and the "
               "idle-machine estimate from CPU seconds: (CPU of workers 1 - CPU the overlap saves) / CPU of workers 1, "
               "where the overlap saves, per portfolio width, the CPU of the steps the answer needed minus their "
               "critical path on idle cores (not a measured wall time).", "",
               "| cell | pipeline | wall | CPU | same answer | overlap saves (CPU s) | idle estimate | "
               "load before / after |", "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            for q in extra:
                x = r.get(f"ratio_{q}_to_new") or {}
                lb = f"{r[q].get('load_before')} / {r[q].get('load')}" if r.get(q) else "-"
                md.append(f"| {r['cell']} | {q} | {x.get('wall')} | {x.get('cpu')} | {x.get('same_answer')} | "
                          f"{x.get('cpu_saved_by_overlap_s')} | {x.get('idle_estimate')} | {lb} |")
    (out / "engine.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
