"""Targets of ``capacity scaling`` (issue 11): preset wall times, the Dask path against the local path at
equal worker counts, the largest exact point, and the largest m' with a verified trained network and
construction in the shipped tables.

1. **Preset wall time**: ``run_sweep`` of a preset (default: ``quick``) with no cache on
   ``LocalExecutor(workers)``, plus writing the report. The ``full`` preset's wall time is read from its
   shipped run (``results/scaling-full/results.json``: the last invocation's wall time and the sum of the
   points' own times, since a resumed run spans several invocations).
2. **Dask vs local**: the same sweep (``--dask-preset``, default the ``smoke`` preset) on
   ``LocalExecutor(workers)`` and on a ``dask.distributed.LocalCluster`` with ``workers`` single-threaded
   worker processes on loopback, in one run of this script; speed-up = local time / Dask time (> 1: Dask
   faster).
   Cluster start-up is timed separately and not counted.
3. **Largest points**: the proven minimum width with the most features in ``results/scaling/`` (from its
   ``results.json``), with the solver's own time; and from ``results/scaling-full/min_width.csv`` the
   largest m' with a proven n*, with a verified trained network (real; projected to integers) and with a
   verified construction.

Timings depend on the machine's load (the lead's machine has 2 cores shared with other jobs); the JSON
records the load average before and after.

Usage:
    python benchmarks/bench_scaling.py                      # quick preset, 2 workers
    python benchmarks/bench_scaling.py --preset smoke --dask-preset smoke --workers 2 --out /tmp/bench
    python benchmarks/bench_scaling.py --skip-preset        # only Dask vs local and the largest point

Writes ``<out>/scaling.json`` and ``<out>/scaling.md`` (default ``benchmarks/out/``; ``--out
benchmarks/results`` for the tracked copy). Progress lines go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
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


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the worker processes, once the pool is shut)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def time_preset(name: str, workers: int) -> dict:
    from capacity.scaling import LocalExecutor, preset, run_sweep, write_report

    cfg = preset(name)
    load0, c0 = _load(), _cpu()
    t0 = time.perf_counter()
    ex = LocalExecutor(workers)
    try:
        sr = run_sweep(cfg, executor=ex, progress=False)
    finally:
        ex.close()
    with tempfile.TemporaryDirectory() as tmp:
        write_report(sr, tmp)
    wall = time.perf_counter() - t0
    cpu = _cpu() - c0
    per_kind: dict = {}
    for p, r in zip(sr.points, sr.results):
        k = per_kind.setdefault(p.kind, {"points": 0, "point_wall_seconds": 0.0, "point_cpu_seconds": 0.0})
        k["points"] += 1
        k["point_wall_seconds"] += float(r.get("wall_seconds", 0.0))
        k["point_cpu_seconds"] += float(r.get("cpu_seconds", 0.0))
    return {
        "preset": name,
        "workers": workers,
        "points": len(sr.points),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        # the run's CPU spread over the workers: the wall time on idle cores if the points kept them busy
        "idle_wall_estimate_seconds": round(cpu / workers, 2),
        "load_start": load0,
        "load_end": _load(),
        "per_kind": {
            k: {kk: (round(vv, 2) if isinstance(vv, float) else vv) for kk, vv in v.items()}
            for k, v in sorted(per_kind.items())
        },
    }


def dask_vs_local(name: str, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from capacity.scaling import DaskExecutor, LocalExecutor, preset, run_sweep

    cfg = preset(name)
    load_local, c0 = _load(), _cpu()
    t0 = time.perf_counter()
    ex = LocalExecutor(workers)
    try:
        local = run_sweep(cfg, executor=ex, progress=False)
    finally:
        ex.close()
    t_local = time.perf_counter() - t0
    cpu_local = _cpu() - c0
    load_dask = _load()
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
    from capacity.scaling import write_report

    with tempfile.TemporaryDirectory() as tmp:  # the tables carry no timings: they must be byte-identical
        write_report(local, Path(tmp) / "local", plots=False)
        write_report(dask, Path(tmp) / "dask", plots=False)
        same = all(
            (Path(tmp) / "local" / f).read_bytes() == (Path(tmp) / "dask" / f).read_bytes()
            for f in ("min_width.csv", "capacity.csv", "constructions.csv")
        )

    def bare(r):  # raw results without wall-clock fields (timings, and details that quote them)
        return {k: v for k, v in r.items() if "seconds" not in k and k not in ("certificate_detail",)}

    differ = sorted({p.kind for p, a, b in zip(local.points, local.results, dask.results) if bare(a) != bare(b)})
    return {
        "preset": name,
        "workers": workers,
        "points": len(local.points),
        "local_seconds": round(t_local, 2),
        "dask_seconds": round(t_dask, 2),
        "dask_cluster_start_seconds": round(t_start, 2),
        # CPU: the local run's process and its (reaped) workers; for both, the points' own CPU seconds summed
        # (the Dask workers are not children of this process)
        "local_cpu_seconds": round(cpu_local, 2),
        "local_point_cpu_seconds": round(sum(float(r.get("cpu_seconds", 0.0)) for r in local.results), 2),
        "dask_point_cpu_seconds": round(sum(float(r.get("cpu_seconds", 0.0)) for r in dask.results), 2),
        "load_before_local": load_local,
        "load_before_dask": load_dask,
        "load_after": _load(),
        "speedup_dask_over_local": round(t_local / t_dask, 3),
        "same_tables": bool(same),
        "kinds_with_different_raw_results": differ,
    }


def largest_exact_point(results: Path = ROOT / "results" / "scaling" / "results.json") -> dict | None:
    if not results.exists():
        return None
    data = json.loads(results.read_text())
    best = slow = None
    for e in data["points"]:
        p, r = e["point"], e["result"]
        o = p.get("options", {})
        if p["kind"] != "min_width" or not r or not r.get("proven") or o.get("activation", "relu") != "relu":
            continue  # the ReLU exact column (the step columns are reported from min_width.csv below)
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


def largest_scaling_points(folder: Path = ROOT / "results" / "scaling-full") -> dict | None:
    """Largest m' (per family) with a proven n*, a verified trained network and a verified construction."""
    import pandas as pd

    if not (folder / "min_width.csv").exists():
        return None
    mw = pd.read_csv(folder / "min_width.csv")
    out = {"source": str(folder)}
    for what, col in (
        ("exact n* (proven)", "n_star"),
        ("trained, real weights", "trained_real_n"),
        ("trained, projected to integers", "trained_int_n"),
        ("Hänni U-AND construction", "hanni_uand_n"),
        ("sparse-code construction", "sparse_code_n"),
        ("exact n*, step, real weights (proven)", "n_star_step_real"),
        ("exact n*, step, integers in [-1, 1] (proven)", "n_star_step_int"),
    ):
        if col not in mw.columns:
            continue
        d = mw.dropna(subset=[col])
        if col == "n_star" and "proven" in d.columns:
            d = d[d.proven.fillna(False).astype(bool)]
        if col.startswith("n_star_step"):
            d = d[d[col + "_proven"].fillna(False).astype(bool)]
        out[what] = {
            fam: {"m": int(g.loc[g.n_features.idxmax(), "m"]), "m_prime": int(g.n_features.max()),
                  "width": float(g.loc[g.n_features.idxmax(), col])}
            for fam, g in d.groupby("family")
        }
    out["full_run"] = shipped_run(folder)
    return out


def shipped_run(folder: Path) -> dict | None:
    """How a shipped run went, from its ``results.json`` and the run log ``run.json`` the shipping step
    writes beside it (the computing invocation's wall time and load; a ``--report-only`` invocation that
    wrote the tables computes nothing): sums of the points' own wall and CPU seconds, per kind, and the
    idle 2-core estimate (CPU / 2)."""
    res = folder / "results.json"
    if not res.exists():
        return None
    data = json.loads(res.read_text())
    per_kind: dict = {}
    for e in data["points"]:
        r = e["result"] or {}
        k = per_kind.setdefault(e["point"]["kind"], {"points": 0, "wall": 0.0, "cpu": 0.0, "no_cpu": 0})
        k["points"] += 1
        k["wall"] += float(r.get("wall_seconds", 0.0))
        k["cpu"] += float(r.get("cpu_seconds", 0.0))
        k["no_cpu"] += "cpu_seconds" not in r
    cpu = sum(v["cpu"] for v in per_kind.values())
    log = folder / "run.json"
    return {
        "preset": data["config"].get("preset"),
        "run_log": json.loads(log.read_text()) if log.exists() else None,
        "sum_of_point_wall_seconds": round(sum(v["wall"] for v in per_kind.values()), 1),
        "sum_of_point_cpu_seconds": round(cpu, 1),
        "points_without_cpu_time": sum(v["no_cpu"] for v in per_kind.values()),
        "idle_2_core_estimate_seconds": round(cpu / 2, 1),
        "per_kind": {k: {"points": v["points"], "wall": round(v["wall"], 1), "cpu": round(v["cpu"], 1)}
                     for k, v in sorted(per_kind.items())},
        "missing_points": data["run"].get("missing", {}),
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description="capacity scaling targets")
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--dask-preset", default="smoke")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-preset", action="store_true")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    out = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_before": _load()}}
    if not args.skip_preset:
        print(f"timing the {args.preset} preset on {args.workers} local workers ...", file=sys.stderr, flush=True)
        out["preset"] = time_preset(args.preset, args.workers)
        print(json.dumps(out["preset"]), file=sys.stderr, flush=True)
    if not args.skip_dask:
        print(f"{args.dask_preset} preset: local processes, then Dask ...", file=sys.stderr, flush=True)
        out["dask_vs_local"] = dask_vs_local(args.dask_preset, args.workers)
        print(json.dumps(out["dask_vs_local"]), file=sys.stderr, flush=True)
    out["largest_exact_point"] = largest_exact_point()
    out["largest_scaling_points"] = largest_scaling_points()
    out["quick_run"] = shipped_run(ROOT / "results" / "scaling")
    print(json.dumps(out["largest_scaling_points"]), file=sys.stderr, flush=True)
    out["machine"]["load_after"] = _load()
    dest = Path(args.out)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "scaling.json").write_text(json.dumps(out, indent=1) + "\n")
    md = ["# capacity scaling targets\n", f"Machine: {out['machine']}\n"]
    if "preset" in out:
        pr = out["preset"]
        md.append(
            f"- `{pr['preset']}` preset: {pr['points']} points, **{pr['wall_seconds']} s** wall and "
            f"{pr['cpu_seconds']} CPU s on {pr['workers']} local workers (no cache; load average "
            f"{pr['load_start']} before, {pr['load_end']} after): idle estimate CPU / workers = "
            f"**{pr['idle_wall_estimate_seconds']} s**. Per kind: {pr['per_kind']}"
        )
    if "dask_vs_local" in out:
        d = out["dask_vs_local"]
        md.append(
            f"- Dask vs local (`{d['preset']}` preset, {d['workers']} workers each): local "
            f"{d['local_seconds']} s, Dask {d['dask_seconds']} s "
            f"(cluster start {d['dask_cluster_start_seconds']} s, not counted): "
            f"speed-up **{d['speedup_dask_over_local']}x**; points' CPU seconds local {d['local_point_cpu_seconds']}, "
            f"Dask {d['dask_point_cpu_seconds']} (local invocation with its workers {d['local_cpu_seconds']}); load "
            f"average before local {d['load_before_local']}, before Dask {d['load_before_dask']}, after "
            f"{d['load_after']}; byte-identical tables: {d['same_tables']}; kinds whose "
            f"raw results differ (witness choice, not tables): {d['kinds_with_different_raw_results']}"
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
    ls = out["largest_scaling_points"]
    if ls:
        md.append(f"- Largest m' in `{ls['source']}` (family: m, m', width):")
        for what, fams in ls.items():
            if isinstance(fams, dict) and what not in ("full_run",):
                md.append(f"  - {what}: " + "; ".join(f"{f} m={v['m']} m'={v['m_prime']} n={v['width']:g}"
                                                      for f, v in fams.items()))
    for name, fr in (("quick", out.get("quick_run")), ("full", (ls or {}).get("full_run"))):
        if fr:
            log = fr["run_log"] or {}
            md.append(f"- Shipped `{name}` run ({log.get('started_utc')} to {log.get('finished_utc')}, "
                      f"{log.get('computed')} points computed, {log.get('cached')} from the cache): wall "
                      f"{round(log.get('wall_seconds') or 0)} s, CPU of the invocation {log.get('invocation_cpu_seconds')} s, "
                      f"load average {log.get('loadavg_start')} at the start, {log.get('loadavg_end')} at the end; "
                      f"sum of the points' own wall times "
                      f"{fr['sum_of_point_wall_seconds']} s and CPU times {fr['sum_of_point_cpu_seconds']} s "
                      f"({fr['points_without_cpu_time']} points without a CPU time): idle 2-core estimate "
                      f"**{fr['idle_2_core_estimate_seconds']} s**; per kind {fr['per_kind']}; missing points "
                      f"{fr['missing_points']}")
    (dest / "scaling.md").write_text("\n".join(md) + "\n")
    return out


if __name__ == "__main__":
    main()
