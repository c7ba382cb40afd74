"""Benchmark: the first LRAT check of a fresh process, with and without ``sat.solve``'s warm-up.

Usage:
    python benchmarks/bench_warmup.py [--out benchmarks/out/warmup] [--repeat 1] [--cache empty|filled]

Instances (pairwise ANDs on 2-sparse inputs, K = 1, all refuted): step units m = 10, widths 2 and 3, and
ReLU units m = 5, width 3. Each run is a fresh Python process whose only work is one
``capacity.solvers.sat.solve``, with an empty Numba cache directory (``NUMBA_CACHE_DIR``: a fresh machine;
``--cache filled``: one directory that a first process filled, shared by every run: a machine that has run
the checker before). ``with`` is the code as it is (``sat.solve`` starts ``drup.warm_up()`` before it
encodes), ``without`` replaces that call by a no-op, so the first compiled check compiles (or loads) the
kernels itself. Per run: the seconds ``sat.solve`` reports (encode, search, check), check / search, the
whole call's wall seconds and the process's CPU seconds (all threads), the load average before and after.
Both modes must give the same answer and certificate (engine, lemmas, deletions, reason); the script stops
otherwise. Writes ``warmup.json`` and ``warmup.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSTANCES = [("step", 10, 2), ("step", 10, 3), ("relu", 5, 3)]
SAME = ("status", "engine", "lemmas", "deletions", "core", "reason", "ok")


def child(mode: str, act: str, m: int, width: int) -> None:
    """One fresh process: one sat.solve, its timings and certificate as one JSON line."""
    t = time.perf_counter()
    from capacity import Domain, Problem
    from capacity.features import k_ands
    from capacity.solvers import sat

    if mode == "without":
        sat.warm_up = lambda: None
    problem = Problem(k_ands(Domain(m, sparsity=2), 2), width, act, 1)
    imported = time.perf_counter() - t
    w, c = time.perf_counter(), time.process_time()
    r = sat.solve(problem)
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    i, d = r.info, r.certificate.data
    print(json.dumps({"status": r.status.name, "engine": d.engine, "lemmas": d.lemmas,
                      "deletions": d.deletions, "core": d.core, "reason": d.reason, "ok": d.ok,
                      "import_s": round(imported, 3), "encode_s": i["encode_seconds"],
                      "solve_s": i["solve_seconds"], "check_s": i["check_seconds"],
                      "check_over_solve": round(i["check_seconds"] / i["solve_seconds"], 2),
                      "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}))


def run(mode: str, act: str, m: int, width: int, filled: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": filled or cache, "CAPACITY_NUMBA_CACHE": "1"}
        load = os.getloadavg()[0]
        out = subprocess.run([sys.executable, __file__, "--child", mode, act, str(m), str(width)], env=env,
                             capture_output=True, text=True, timeout=600, check=True)
    row = {"mode": mode, "cache": "filled" if filled else "empty", "activation": act, "m": m, "width": width,
           "load_before": round(load, 2)}
    row.update(json.loads(out.stdout.splitlines()[-1]))
    row["load_after"] = round(os.getloadavg()[0], 2)
    return row


def write(out: Path, meta: dict, rows: list) -> None:
    (out / "warmup.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    lines = [f"# First LRAT check in a fresh process, {meta['cache']} Numba cache ({meta['date']}, "
             f"commit {meta['commit']})", "",
             "| instance | mode | encode s | search s | check s | check / search | call wall s | CPU s "
             "| load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['activation']} m={r['m']} width {r['width']} | {r['mode']} | "
                     f"{r['encode_s']:.3f} | {r['solve_s']:.3f} | {r['check_s']:.3f} | "
                     f"{r['check_over_solve']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | "
                     f"{r['load_before']} to {r['load_after']} |")
    (out / "warmup.md").write_text("\n".join(lines) + "\n")


def commit() -> str:
    """The code under test: the git commit, with ``+dirty`` when the work tree differs from it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "capacity"], cwd=root, capture_output=True,
                               text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "warmup"))
    ap.add_argument("--repeat", type=int, default=1, help="runs per instance and mode")
    ap.add_argument("--cache", choices=("empty", "filled"), default="empty", help="Numba cache of each run")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        mode, act, m, width = args.child
        return child(mode, act, int(m), int(width))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit(),
            "machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
            "cache": args.cache}
    filled = None
    if args.cache == "filled":
        filled = tempfile.mkdtemp(prefix="numba-cache-filled-")
        fill = "from capacity import drup; drup.warm_up(); drup._join_warm_up()"
        subprocess.run([sys.executable, "-c", fill],
                       env={**os.environ, "NUMBA_CACHE_DIR": filled, "CAPACITY_NUMBA_CACHE": "1"}, check=True)
    rows = []
    for act, m, width in INSTANCES:
        for _ in range(args.repeat):
            pair = [run(mode, act, m, width, filled) for mode in ("without", "with")]
            if any(pair[0][k] != pair[1][k] for k in SAME):
                raise SystemExit(f"the warm-up changed the certificate: {pair}")
            rows += pair
            for r in pair:
                print(json.dumps(r), flush=True)
            write(out, meta, rows)


if __name__ == "__main__":
    main()
