"""Targets of ``capacity scaling``: the default preset's wall time, the Dask path against the local path at
equal worker counts, and the largest exact point in the shipped table.

1. **Preset wall time**: ``run_sweep`` of a preset (default: ``default``) with no cache on
   ``LocalExecutor(workers)``, plus writing the report.
2. **Dask vs local**: the same sweep (``--dask-preset``, default the ``default`` preset) on
   ``LocalExecutor(workers)`` and on a ``dask.distributed.LocalCluster`` with ``workers`` single-threaded
   worker processes on loopback, in one run of this script; speed-up = local time / Dask time (> 1: Dask
   faster).
   Cluster start-up is timed separately and not counted.
3. **Largest exact point**: the proven minimum width with the most features in ``results/scaling/`` (from its
   ``results.json``), with the solver's own time.

Timings depend on the machine's load (the lead's machine has 2 cores shared with other jobs); the JSON
records the load average before and after.

Usage:
    python benchmarks/bench_scaling.py                      # default preset, 2 workers
    python benchmarks/bench_scaling.py --preset smoke --dask-preset smoke --workers 2 --out /tmp/bench
    python benchmarks/bench_scaling.py --skip-preset        # only Dask vs local and the largest point

Writes ``<out>/scaling.json`` and ``<out>/scaling.md`` (default ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load():
    try:
        return list(os.getloadavg())
    except OSError:  # pragma: no cover
        return None


def time_preset(name: str, workers: int) -> dict:
    from capacity.scaling import LocalExecutor, preset, run_sweep, write_report

    cfg = preset(name)
    t0 = time.perf_counter()
    ex = LocalExecutor(workers)
    try:
        sr = run_sweep(cfg, executor=ex, progress=False)
    finally:
        ex.close()
    with tempfile.TemporaryDirectory() as tmp:
        write_report(sr, tmp)
    wall = time.perf_counter() - t0
    per_kind: dict = {}
    for p, r in zip(sr.points, sr.results):
        k = per_kind.setdefault(p.kind, {"points": 0, "point_seconds": 0.0})
        k["points"] += 1
        k["point_seconds"] += float(r.get("wall_seconds", 0.0))
    return {
        "preset": name,
        "workers": workers,
        "points": len(sr.points),
        "wall_seconds": round(wall, 2),
        "per_kind": {
            k: {"points": v["points"], "point_seconds": round(v["point_seconds"], 2)}
            for k, v in sorted(per_kind.items())
        },
    }


def dask_vs_local(name: str, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from capacity.scaling import DaskExecutor, LocalExecutor, preset, run_sweep

    cfg = preset(name)
    t0 = time.perf_counter()
    ex = LocalExecutor(workers)
    try:
        local = run_sweep(cfg, executor=ex, progress=False)
    finally:
        ex.close()
    t_local = time.perf_counter() - t0
    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    t_start = time.perf_counter() - t0
    try:
        with Client(cluster, set_as_default=False) as client:
            t0 = time.perf_counter()
            dask = run_sweep(cfg, executor=DaskExecutor(client=client), progress=False)
            t_dask = time.perf_counter() - t0
    finally:
        cluster.close()
    same = [{k: v for k, v in a.items() if "seconds" not in k} for a in local.results] == [
        {k: v for k, v in b.items() if "seconds" not in k} for b in dask.results
    ]
    return {
        "preset": name,
        "workers": workers,
        "points": len(local.points),
        "local_seconds": round(t_local, 2),
        "dask_seconds": round(t_dask, 2),
        "dask_cluster_start_seconds": round(t_start, 2),
        "speedup_dask_over_local": round(t_local / t_dask, 3),
        "same_results": bool(same),
    }


def largest_exact_point(results: Path = ROOT / "results" / "scaling" / "results.json") -> dict | None:
    if not results.exists():
        return None
    data = json.loads(results.read_text())
    best = slow = None
    for e in data["points"]:
        p, r = e["point"], e["result"]
        if p["kind"] != "min_width" or not r or not r.get("proven"):
            continue
        key = (p["n_features"], r["min_width"], p["m"])
        if best is None or key > best[0]:
            best = (key, p, r)
        if slow is None or r["seconds"] > slow[2]["seconds"]:
            slow = (None, p, r)
    if best is None:
        return None

    def describe(p, r):
        return {
            "family": p["family"],
            "m": p["m"],
            "sparsity": p["sparsity"],
            "n_features": p["n_features"],
            "instance": p["instance"],
            "min_width": r["min_width"],
            "certificate_kind": r["certificate_kind"],
            "solve_seconds": round(float(r["seconds"]), 2),
            "method": r["method"],
        }

    return {**describe(best[1], best[2]), "slowest": describe(slow[1], slow[2]), "source": str(results)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="capacity scaling targets")
    ap.add_argument("--preset", default="default")
    ap.add_argument("--dask-preset", default="default")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-preset", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    out = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_before": _load()}}
    if not args.skip_preset:
        out["preset"] = time_preset(args.preset, args.workers)
        print(json.dumps(out["preset"]), flush=True)
    if not args.skip_dask:
        out["dask_vs_local"] = dask_vs_local(args.dask_preset, args.workers)
        print(json.dumps(out["dask_vs_local"]), flush=True)
    out["largest_exact_point"] = largest_exact_point()
    print(json.dumps(out["largest_exact_point"]), flush=True)
    out["machine"]["load_after"] = _load()
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "scaling.json").write_text(json.dumps(out, indent=1) + "\n")
    md = ["# capacity scaling targets\n", f"Machine: {out['machine']}\n"]
    if "preset" in out:
        pr = out["preset"]
        md.append(
            f"- `{pr['preset']}` preset: {pr['points']} points, **{pr['wall_seconds']} s** wall on "
            f"{pr['workers']} local workers (no cache). Per kind: {pr['per_kind']}"
        )
    if "dask_vs_local" in out:
        d = out["dask_vs_local"]
        md.append(
            f"- Dask vs local (`{d['preset']}` preset, {d['workers']} workers each): local "
            f"{d['local_seconds']} s, Dask {d['dask_seconds']} s "
            f"(cluster start {d['dask_cluster_start_seconds']} s, not counted): "
            f"speed-up **{d['speedup_dask_over_local']}x**; same results: {d['same_results']}"
        )
    lp = out["largest_exact_point"]
    if lp:
        md.append(
            f"- Largest exact point: {lp['family']} m={lp['m']} s={lp['sparsity']} m'={lp['n_features']} "
            f"(instance {lp['instance']}): n* = {lp['min_width']} ({lp['certificate_kind']}), solved in "
            f"**{lp['solve_seconds']} s** ({lp['method']}); slowest exact point: {lp['slowest']['family']} "
            f"m={lp['slowest']['m']} m'={lp['slowest']['n_features']} (n* = {lp['slowest']['min_width']}) in "
            f"**{lp['slowest']['solve_seconds']} s** ({lp['slowest']['method']})"
        )
    (dest / "scaling.md").write_text("\n".join(md) + "\n")
    return out


if __name__ == "__main__":
    main()
