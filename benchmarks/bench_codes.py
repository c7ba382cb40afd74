"""Representable sets of one code (issue 16): the incremental/merged pipeline against today's loop.

Today's loop is what ``representable_set`` did before issue 16: the front door ``representable(problem, "auto")``
for one feature after the other (CP-SAT first within a deterministic budget, then SAT with a DRUP proof).
Our pipeline is ``representable_set(..., method="incremental")`` (:mod:`capacity.solvers.codeset`).

Cases (all ReLU, sign codes, integer weights in [-1, 1], pairwise ANDs on 2-sparse inputs, one readout each):

* ``ratio12``: a random sign code with m = 12 inputs and width 12 (66 features), both methods to the end
  (each bounded by ``--baseline-limit``); the ratio of the wall times.
* ``random16``: a random sign code, m = 16, width 16 (120 features), target <= 5 min on 2 cores; ours with
  ``--workers`` processes and ``--time-limit``; today's loop gets the same time budget and we count the
  features it decided.
* ``trained32``: the code of a network trained (seed 0) on 32 random pair-ANDs with m = 32 inputs and 64 hidden
  units, all 496 pair features; target <= 30 min; ours with the trained network as a cheap witness source.
  Today's loop is not run here (see ``TODAY_32``).

Each case writes its numbers as it finishes; ``--out DIR`` (default ``benchmarks/out``) gets ``codes.json`` and
``codes.md``. The machine may be shared: times are wall-clock seconds of this one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from capacity.codes import Code
from capacity.domain import Domain
from capacity.features import from_spec
from capacity.solvers import Problem, Status, representable
from capacity.solvers.front import representable_set


TODAY_32 = ("not run: when CP-SAT's first try fails, today's loop encodes the feature for SAT from scratch, "
            "and at 529 points x 64 units that encoding would take several GB on a shared machine")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def random_code(m, n, seed=0):
    return Code(np.random.default_rng(seed).integers(-1, 2, size=(n, m)))


def todays_loop(code, family, time_limit):
    """The pre-issue-16 loop: one front-door call per feature, until the time budget runs out."""
    t0 = time.perf_counter()
    counts = {"REPRESENTABLE": 0, "NOT_REPRESENTABLE": 0, "UNKNOWN": 0}
    for i in range(len(family)):
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            counts["UNKNOWN"] += len(family) - i
            break
        p = Problem(family.select([i]), code.d_hidden, "relu", 1, False, code, 0)
        r = representable(p, "auto", time_limit=left)
        counts[str(r.status)] += 1
        log(f"  today's loop: feature {i + 1}/{len(family)} {r.status} ({time.perf_counter() - t0:.1f} s)")
    decided = counts["REPRESENTABLE"] + counts["NOT_REPRESENTABLE"]
    return {"seconds": round(time.perf_counter() - t0, 2), "decided": decided, **counts}


def ours(code, family, time_limit, workers, network=None):
    t0 = time.perf_counter()
    rs = representable_set(code, family, method="incremental", time_limit=time_limit, workers=workers,
                           network=network, progress=True)
    st = rs.statuses
    for r in rs.results:  # every answer is re-checked by its kind (witness verified; certificate checked)
        assert r.status is not Status.REPRESENTABLE or r.witness is not None
        assert r.status is not Status.NOT_REPRESENTABLE or r.certificate.checked
    return {"seconds": round(time.perf_counter() - t0, 2), "decided": len(st) - st.count("UNKNOWN"),
            "REPRESENTABLE": st.count("REPRESENTABLE"), "NOT_REPRESENTABLE": st.count("NOT_REPRESENTABLE"),
            "UNKNOWN": st.count("UNKNOWN"),
            "info": {k: v for k, v in rs.info.items() if k != "chunks"}, "chunks": rs.info.get("chunks")}


def trained_network(m=32, hidden=64, n_features=32, seed=0):
    from capacity.tasks import kand_task
    from capacity.train import TrainConfig, train

    task = kand_task(m, n_features, 2, sparsity=2, seed=seed)
    res = train([task], TrainConfig(hidden=(hidden,), steps=2000, balance=True, seed=seed), seeds=(seed,),
                progress=False)
    return res.networks[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/out")
    ap.add_argument("--cases", default="ratio12,random16,trained32")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=300.0, help="ours, random16 (s)")
    ap.add_argument("--trained-limit", type=float, default=1800.0, help="ours, trained32 (s)")
    ap.add_argument("--baseline-limit", type=float, default=900.0, help="today's loop, per case (s)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {"cases": {}, "workers": args.workers}

    def save():
        (out / "codes.json").write_text(json.dumps(report, indent=1, default=str))
        lines = ["# Representable sets of one code: ours vs today's loop", "",
                 "One run; wall-clock seconds on a shared 2-core machine. ReLU, sign codes, K = 1, pair-ANDs on "
                 "2-sparse inputs.", "",
                 "| case | features | ours s | ours decided | ours R / NR / ? | SAT solver calls | known-layer hits | "
                 "today's s | today's decided | ratio |", "|---|---|---|---|---|---|---|---|---|---|"]
        for name, c in report["cases"].items():
            o, b = c["ours"], c.get("today", {})
            lines.append(f"| {name} | {c['features']} | {o['seconds']} | {o['decided']} | {o['REPRESENTABLE']} / "
                         f"{o['NOT_REPRESENTABLE']} / {o['UNKNOWN']} | {o['info'].get('solver_calls')} | "
                         f"{o['info'].get('known_hidden_layer_hits')} | {b.get('seconds', '-')} | "
                         f"{b.get('decided', '-')} | {c.get('ratio', '-')} |")
        (out / "codes.md").write_text("\n".join(lines) + "\n")

    cases = args.cases.split(",")
    if "ratio12" in cases:
        code, family = random_code(12, 12), from_spec(Domain(12, 2), "pairs")
        log("ratio12: ours (1 worker)")
        o = ours(code, family, args.baseline_limit, 1)
        log("ratio12: today's loop")
        b = todays_loop(code, family, args.baseline_limit)
        c = {"features": len(family), "ours": o, "today": b}
        if o["UNKNOWN"] == 0 and b["UNKNOWN"] == 0:
            c["ratio"] = round(b["seconds"] / o["seconds"], 2)
        elif o["decided"] and b["decided"]:  # today's loop ran out of time: seconds per decided feature
            c["ratio"] = f"{b['seconds'] / b['decided'] / (o['seconds'] / o['decided']):.1f} per decided feature"
        report["cases"]["ratio12"] = c
        save()
    if "random16" in cases:
        code, family = random_code(16, 16), from_spec(Domain(16, 2), "pairs")
        log(f"random16: ours ({args.workers} workers, {args.time_limit:g} s)")
        o = ours(code, family, args.time_limit, args.workers)
        log("random16: today's loop (same budget)")
        b = todays_loop(code, family, args.time_limit)
        report["cases"]["random16"] = {"features": len(family), "ours": o, "today": b,
                                       "target_met": o["UNKNOWN"] == 0 and o["seconds"] <= 300}
        save()
    if "trained32" in cases:
        log("trained32: training m = 32, 64 hidden units on 32 pair-ANDs")
        t = time.perf_counter()
        net = trained_network()
        train_s = round(time.perf_counter() - t, 1)
        dom = Domain(32, 2)
        family = from_spec(dom, "pairs")
        full = Code.from_network(net, 0.0)
        code = Code(full.S_in, full.S_b_in)
        computes = int(sum(any((t == row).all() for row in net.truth_tables(dom)) for t in family.tables))
        log(f"trained32: ours ({args.workers} workers, {args.trained_limit:g} s)")
        o = ours(code, family, args.trained_limit, args.workers, network=net)
        report["cases"]["trained32"] = {"features": len(family), "train_seconds": train_s,
                                        "network_computes": computes, "ours": o, "today": {"not_run": TODAY_32},
                                        "target_met": o["UNKNOWN"] == 0 and o["seconds"] <= 1800}
        save()
    log(f"wrote {out / 'codes.json'} and {out / 'codes.md'}")


if __name__ == "__main__":
    main()
