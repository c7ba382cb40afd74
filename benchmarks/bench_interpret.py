"""Benchmark: time to interpret and to prove, as a function of inputs m and width n.

Usage:
    python benchmarks/bench_interpret.py [--quick] [--no-check] [--out DIR] [--render]

Two families of instances, every one seeded:

* trained: ``capacity.train`` networks (defaults of ours: Adam, BCE, 1500 full-batch steps) on 3 random 2-ANDs
  with inputs of at most 3 ones, for m in {6, 8, 10, 12} and hidden width n in {4, 8, 16} (float32 weights, so
  the SAT proof uses rounded units proven band-free and readout margin checks, with exact adders as fallback);
* channel: hand-built integer channel networks (one unit per 2-AND, readout ``relu - 1``) for m in {12, 24, 48, 96, 192}
  with 4 ANDs, inputs of at most 3 ones (small integers: the SAT encoding uses Pindakaas).

For each instance it times: the whole ``interpret`` (extraction, analysis, proof by method auto), the extraction of
the formulas alone, the enumeration proof alone and the SAT proof alone (solve; and, unless ``--no-check``, the
DRUP proof check), all on the same formulas, and checks that the two proofs agree. Results go to
``interpret.json`` and ``interpret.md`` in ``--out`` (default ``benchmarks/out/``, untracked; the tracked figures
in ``benchmarks/results/`` change only with ``--out benchmarks/results``). Each instance is printed when done.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def _trained(m, n, seed=0):
    from capacity.tasks import kand_task
    from capacity.train import TrainConfig, train

    task = kand_task(m, 3, k=2, sparsity=3, seed=seed)
    res = train([task], TrainConfig(hidden=(n,), steps=1500, seed=seed), seeds=(seed,), progress=False)
    return res.networks[0], 3


def _channel(m, F=4):
    from capacity.network import Network

    W = np.zeros((F, m), dtype=int)
    for k in range(F):
        W[k, 2 * k] = W[k, 2 * k + 1] = 1
    return Network(W, -np.ones(F, dtype=int), np.eye(F, dtype=int), -np.ones(F, dtype=int)), 3


def _time(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_instance(kind, m, n, net, s, check):
    from capacity.interpret import InterpretConfig, extract_formula, interpret, prove_formula

    enumerable = m <= 62  # capacity.domain.Domain codes points in 64-bit integers
    it, t_int = _time(lambda: interpret(net, sparsity=s, config=InterpretConfig(method="auto")))
    forms, t_ext = _time(lambda: [extract_formula(net, f, s) for f in range(net.n_features)])
    if enumerable:
        enum, t_enum = _time(lambda: [prove_formula(net, f, fm, s, method="enumerate") for f, fm in enumerate(forms)])
    else:
        enum, t_enum = [{"status": "proven"}] * net.n_features, float("nan")
    sat, t_sat = _time(lambda: [prove_formula(net, f, fm, s, method="sat", check_proof=False)
                                for f, fm in enumerate(forms)])
    row = {"kind": kind, "m": m, "n": n, "sparsity": s, "points": it.domain_size, "outputs": net.n_features,
           "parameter_size": net.parameter_size, "interpret_s": t_int, "extract_s": t_ext, "enum_proof_s": t_enum,
           "sat_solve_s": t_sat, "sat_clauses": int(np.mean([p["clauses"] for p in sat])),
           "formulas": [fm.text() for fm in forms],
           "enum_status": [p["status"] for p in enum] if enumerable else None,
           "sat_status": [p["status"] for p in sat]}
    if check:
        chk, t_chk = _time(lambda: [prove_formula(net, f, fm, s, method="sat", check_proof=True)
                                    for f, fm in enumerate(forms)])
        row["sat_solve_and_check_s"] = t_chk
        row["drup_checked"] = all(p["certificate"]["checked"] for p in chk)
    row["agree"] = (row["enum_status"] in (None, row["sat_status"])) and row["sat_status"] == ["proven"] * net.n_features
    row["sat_over_enum"] = t_sat / max(t_enum, 1e-9) if enumerable else None
    row["interpret_proof"] = it.outputs[0]["proofs"][0]["method"]
    return row


def write_markdown(rows, env, out: Path) -> None:
    intro = ("Times in seconds on one run (2-core machine shared with other jobs: see the load average). "
             "`interpret` = extraction + analysis + proof (method auto: enumeration, or SAT past 62 inputs); "
             "`extract` = formulas only; `enum proof` / `SAT solve` = proving the same formulas by enumeration / by "
             "the SAT equivalence check (no proof check); `SAT + DRUP check` = solve and replay the proof. Trained "
             "networks have float32 weights (rounded units proven band-free plus two readout margin checks, exact "
             "adder encodings where needed); channel networks have small integer weights.")
    header = ("| kind | m | n | points | P | interpret | extract | enum proof | SAT solve | SAT + DRUP check | "
              "SAT/enum | clauses | agree |")
    lines = ["# Interpretation benchmark", "", intro, "", f"Environment: {env}", "", header,
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        chk = f"{r['sat_solve_and_check_s']:.3f}" if "sat_solve_and_check_s" in r else "-"
        enum = "-" if r["enum_status"] is None else f"{r['enum_proof_s']:.4f}"
        ratio = "-" if r["sat_over_enum"] is None else f"{r['sat_over_enum']:.3g}x"
        lines.append(f"| {r['kind']} | {r['m']} | {r['n']} | {r['points']} | {r['parameter_size']} | "
                     f"{r['interpret_s']:.3f} ({r['interpret_proof']}) | {r['extract_s']:.3f} | {enum} | "
                     f"{r['sat_solve_s']:.3f} | {chk} | {ratio} | {r['sat_clauses']} | {'yes' if r['agree'] else 'NO'} |")
    (out / "interpret.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small grid (m in {6, 8}, n in {4, 8})")
    p.add_argument("--no-check", action="store_true", help="skip the DRUP proof checks (the slowest part)")
    p.add_argument("--out", default=str(Path(__file__).parent / "out"), help="output folder (default benchmarks/out/, not tracked; --out benchmarks/results rewrites the tracked figures)")
    p.add_argument("--render", action="store_true", help="only rewrite interpret.md from interpret.json")
    args = p.parse_args(argv)
    if args.render:
        data = json.loads((Path(args.out) / "interpret.json").read_text())
        write_markdown(data["rows"], data["environment"], Path(args.out))
        return 0
    import torch

    torch.set_num_threads(1)
    ms, ns = ((6, 8), (4, 8)) if args.quick else ((6, 8, 10, 12), (4, 8, 16))
    rows = []
    for m in ms:
        for n in ns:
            net, s = _trained(m, n)
            rows.append(run_instance("trained", m, n, net, s, not args.no_check))
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()
                              if k != "formulas"}), flush=True)
    for m in ((12, 24) if args.quick else (12, 24, 48, 96, 192)):
        net, s = _channel(m)
        rows.append(run_instance("channel", m, net.d_hidden, net, s, not args.no_check))
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()
                          if k != "formulas"}), flush=True)
    env = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
           "load_average_at_end": list(os.getloadavg()), "numpy": np.__version__, "torch": torch.__version__,
           "argv": sys.argv[1:]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "interpret.json").write_text(json.dumps({"environment": env, "rows": rows}, indent=1) + "\n")
    write_markdown(rows, env, out)
    print(f"wrote {out / 'interpret.json'} and {out / 'interpret.md'}")
    return 0 if all(r["agree"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
