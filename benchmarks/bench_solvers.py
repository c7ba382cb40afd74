"""Benchmark: solve times of every exact method, side by side, over a ladder of instances.

Usage:
    python benchmarks/bench_solvers.py [--time-limit 60] [--out benchmarks/results] [--ladders single,parity,uand]
                                       [--methods enumerate,sat,cpsat,milp] [--max-m 8]

Ladders (each instance is decided by every method in the same run, with the same time limit):
* ``single``: one feature (parity, majority, a random 2-clause DNF, a random threshold function) on k = 4..7
  inputs, width 2, ReLU, integer weights in [-1, 1];
* ``parity``: minimum width of parity on k = 2..5 inputs, step units, weights in [-1, 1];
* ``uand``: minimum width of all pairwise ANDs on 2-sparse inputs (U-AND), m = 4..max-m, step units,
  weights in [-1, 1].
Writes ``solvers.json`` and ``solvers.md`` (tag ``--tag`` to keep several runs) with, per method, the
largest instance it *proves* within the time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from capacity import Domain, Problem, from_spec, min_width, representable


def single_ladder(max_k=7):
    for k in range(4, max_k + 1):
        d = Domain(k)
        for spec in ("parity", "majority", "dnf:clauses=2,width=2,seed=1", f"threshold:t={k // 2}"):
            yield f"single k={k} {spec.split(':')[0]}", k, ("represent", Problem(from_spec(d, spec), 2, "relu", 1))


def parity_ladder(max_k=5):
    for k in range(2, max_k + 1):
        yield f"parity k={k}", k, ("min_width", from_spec(Domain(k), "parity"), "step", 1)


def uand_ladder(max_m=8):
    for m in range(4, max_m + 1):
        yield f"U-AND m={m} ({m * (m - 1) // 2} features)", m, ("min_width", from_spec(Domain(m, 2), "pairs"), "step", 1)


def run_one(task, method, limit):
    t = time.perf_counter()
    if task[0] == "represent":
        r = representable(task[1], method, time_limit=limit)
        status = str(r.status)
        proved = status != "UNKNOWN"
        detail = r.certificate.kind if r.certificate else ("witness" if r.witness is not None else "")
        answer = status
    else:
        _, feats, act, K = task
        r = min_width(feats, activation=act, weight_bound=K, method=method, time_limit=limit)
        proved = r.status == "PROVEN"
        answer = f"{r.min_width}" if proved else f"[{r.lower}, {r.upper or '?'}]"
        status, detail = r.status, r.certificate_kind or ""
    return {"answer": answer, "status": status, "proved": proved, "certificate": detail,
            "seconds": round(time.perf_counter() - t, 3)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out"),
                    help="output folder (default benchmarks/out/, untracked; benchmarks/results only when asked)")
    ap.add_argument("--ladders", default="single,parity,uand")
    ap.add_argument("--methods", default="enumerate,sat,cpsat,milp")
    ap.add_argument("--max-m", type=int, default=8)
    ap.add_argument("--tag", default="")
    args = ap.parse_args(argv)
    methods = args.methods.split(",")
    ladders = {"single": single_ladder(), "parity": parity_ladder(), "uand": uand_ladder(args.max_m)}
    rows = []
    for lname in args.ladders.split(","):
        failed = {m: False for m in methods}  # once a method fails to prove an instance, larger ones are skipped
        for label, size, task in ladders[lname]:
            for m in methods:
                if failed[m] and lname != "single":
                    rows.append({"ladder": lname, "instance": label, "size": size, "method": m, "answer": "skipped",
                                 "status": "SKIPPED", "proved": False, "certificate": "", "seconds": None})
                    continue
                try:
                    res = run_one(task, m, args.time_limit)
                except Exception as exc:  # a method that cannot take the class (e.g. milp limits)
                    res = {"answer": f"n/a ({type(exc).__name__}: {str(exc)[:60]})", "status": "N/A", "proved": False,
                           "certificate": "", "seconds": None}
                failed[m] = failed[m] or not res["proved"]
                rows.append({"ladder": lname, "instance": label, "size": size, "method": m, **res})
                print(f"{label:32s} {m:10s} {res['answer']:>22s} {res['certificate']:12s} "
                      f"{res['seconds'] if res['seconds'] is not None else '-'}", flush=True)
    best = {}
    for r in rows:  # proved, and within the limit including the proof check (which time_limit does not cover)
        if r["proved"] and r["ladder"] != "single" and r["seconds"] <= args.time_limit:
            key = (r["ladder"], r["method"])
            if r["size"] > best.get(key, (0, ""))[0]:
                best[key] = (r["size"], r["instance"], r["seconds"])
    meta = {"time_limit_s": args.time_limit, "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"_{args.tag}" if args.tag else ""
    (out / f"solvers{tag}.json").write_text(json.dumps({"meta": meta, "rows": rows,
                                                       "largest_proved": {f"{k[0]}/{k[1]}": v for k, v in best.items()}},
                                                      indent=2))
    md = [f"# Exact methods side by side (time limit {args.time_limit:g} s per instance and method, one run)", "",
          f"{meta}", "", "| instance | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for label in dict.fromkeys(r["instance"] for r in rows):
        cells = []
        for m in methods:
            r = next(x for x in rows if x["instance"] == label and x["method"] == m)
            sec = "" if r["seconds"] is None else f" {r['seconds']:.2f}s"
            cells.append(f"{r['answer']}{sec}" + (f" ({r['certificate']})" if r["certificate"] else ""))
        md.append(f"| {label} | " + " | ".join(cells) + " |")
    md += ["", f"Largest instance proved within {args.time_limit:g} s (wall time, proof check included):", ""]
    md += [f"- {k[0]} / {k[1]}: {v[1]} in {v[2]:.2f} s" for k, v in sorted(best.items())]
    (out / f"solvers{tag}.md").write_text("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
