"""``capacity scaling``: exact vs trained vs constructed vs theoretical capacity over a ladder of sizes."""

from __future__ import annotations

import os
from pathlib import Path

from ._common import add_progress_argument, positive_int

HELP = (
    "parameter-capacity scaling laws: exact minimum width and capacity, hand-built constructions, trained "
    "networks and published bounds side by side (tables, fits, plots)"
)

_LISTS = {
    "families": ("families", str),
    "columns": ("columns", str),
    "constructions": ("constructions", str),
    "inputs": ("inputs", int),
    "feature_counts": ("feature_counts", int),
    "dnf_feature_counts": ("dnf_feature_counts", int),
    "uand_inputs": ("uand_inputs", int),
    "graph_inputs": ("graph_inputs", int),
    "widths": ("widths", int),
    "capacity_feature_counts": ("capacity_feature_counts", int),
    "construction_inputs": ("construction_inputs", int),
    "construction_feature_counts": ("construction_feature_counts", int),
    "scale_uand_inputs": ("scale_uand_inputs", int),
    "scale_pairs_inputs": ("scale_pairs_inputs", int),
    "scale_pairs_feature_counts": ("scale_pairs_feature_counts", int),
    "count_inputs": ("count_inputs", int),
    "count_widths": ("count_widths", int),
    "step_uand_inputs": ("step_uand_inputs", int),
}
_SCALARS = {
    "instances": int,
    "tolerance": float,
    "time_limit": float,
    "weight_bound": int,
    "seed": int,
    "train_seeds": int,
    "train_steps": int,
    "construction_seeds": int,
    "construction_max_width": int,
    "max_width": int,
    "scale_instances": int,
    "scale_max_width": int,
    "scan_seeds": int,
    "scan_steps": int,
    "activation": str,
}


def default_cache_path() -> Path:
    """``$CAPACITY_CACHE_DIR/scaling.sqlite`` (default ``~/.cache/capacity/scaling.sqlite``)."""
    base = os.environ.get("CAPACITY_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "capacity")
    return Path(base) / "scaling.sqlite"


def add_arguments(p):
    from ..scaling.sweep import PRESETS

    p.add_argument(
        "--preset",
        default="quick",
        choices=list(PRESETS),
        help="ladder to run: smoke (seconds), quick (default; a few minutes on 2 cores), full (the scaling "
        "study of docs/scaling.md; about an hour on 2 cores, resumable from the cache)",
    )
    p.add_argument(
        "--out",
        "-o",
        required=True,
        help="output folder (created; files in it are replaced); checked before any work starts",
    )
    c = p.add_mutually_exclusive_group()
    c.add_argument(
        "--cache",
        default=None,
        metavar="PATH",
        help=f"result cache file (SQLite; default {default_cache_path()})",
    )
    c.add_argument("--no-cache", action="store_true", help="compute every point, keep nothing")
    x = p.add_mutually_exclusive_group()
    x.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run the points on the Dask scheduler at ADDRESS (e.g. tcp://127.0.0.1:8786)",
    )
    x.add_argument(
        "--workers",
        "-j",
        type=positive_int,
        default=None,
        help="local worker processes (default: every core; 1 runs in this process)",
    )
    p.add_argument(
        "--certificates",
        action="store_true",
        help="also store the witness and lower-width certificate of every minimum width under "
        "OUT/certificates (re-checked by proofs/check_table_certificates.py)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="compute nothing: write the report from the points already in the cache (the others are listed "
        "as missing), e.g. for a full preset stopped before it finished",
    )
    add_progress_argument(p)
    g = p.add_argument_group("ladder overrides (comma lists, ranges like 1-6)")
    g.add_argument("--families", help="pairs, uand, dnf, graphs")
    g.add_argument("--columns", help="min_width, capacity, construction, trained, trained_width, count, step_real")
    g.add_argument("--constructions", help="sparse_code, hanni_uand, dedicated")
    g.add_argument("--inputs", help="m ladder of the pairs and dnf families")
    g.add_argument("--feature-counts", dest="feature_counts", help="m' ladder")
    g.add_argument("--dnf-feature-counts", dest="dnf_feature_counts", help="m' ladder of the dnf family")
    g.add_argument("--uand-inputs", dest="uand_inputs", help="m ladder of the U-AND family")
    g.add_argument(
        "--graph-inputs",
        dest="graph_inputs",
        help="m ladder of the graphs family (every m'-set of pairs up to relabelling, m <= 6)",
    )
    g.add_argument("--widths", help="n ladder (exact capacity, trained networks)")
    g.add_argument(
        "--capacity-feature-counts",
        dest="capacity_feature_counts",
        help="m' values that get exact-capacity points",
    )
    g.add_argument(
        "--construction-inputs", dest="construction_inputs", help="larger m for constructions only"
    )
    g.add_argument(
        "--construction-feature-counts",
        dest="construction_feature_counts",
        help="m' ladder at --construction-inputs",
    )
    g.add_argument("--instances", help="random instances per m'")
    g.add_argument("--tolerance", help="trained error-rate tolerance, in (0, 1)")
    g.add_argument("--time-limit", dest="time_limit", help="seconds per exact solver call")
    g.add_argument("--max-width", dest="max_width", help="cap on the exact minimum-width search")
    g.add_argument("--weight-bound", "-K", dest="weight_bound", help="integer weights in [-K, K]")
    g.add_argument("--activation", help="hidden units of the exact columns: relu (default) or step; the "
                   "trained and constructed columns are ReLU, so step needs --columns without them")
    g.add_argument("--sparsity", "-s", help="inputs with at most S ones ('none': the whole cube)")
    g.add_argument("--seed", help="master seed")
    g.add_argument("--train-seeds", dest="train_seeds", help="training seeds per point")
    g.add_argument("--train-steps", dest="train_steps", help="Adam steps")
    g.add_argument("--construction-seeds", dest="construction_seeds", help="seeds per construction")
    g.add_argument(
        "--construction-max-width", dest="construction_max_width", help="widest construction tried"
    )
    g.add_argument("--scale-uand-inputs", dest="scale_uand_inputs", help="U-AND m ladder, scaling columns only")
    g.add_argument("--scale-pairs-inputs", dest="scale_pairs_inputs", help="m of the random pair sets, scaling only")
    g.add_argument("--scale-pairs-feature-counts", dest="scale_pairs_feature_counts", help="m' ladder, scaling only")
    g.add_argument("--scale-instances", dest="scale_instances", help="random sets per m' on the scaling ladder")
    g.add_argument("--scale-max-width", dest="scale_max_width", help="widest width tried on the scaling ladder")
    g.add_argument("--scan-seeds", dest="scan_seeds", help="training seeds of the smallest-trained-width search")
    g.add_argument("--scan-steps", dest="scan_steps", help="Adam steps of the smallest-trained-width search")
    g.add_argument("--count-inputs", dest="count_inputs", help="k ladder of the exact function counts")
    g.add_argument("--count-widths", dest="count_widths", help="n ladder of the exact function counts")
    g.add_argument("--step-uand-inputs", dest="step_uand_inputs",
                   help="extra U-AND m ladder of the exact step columns (step_real)")


def parse_list(text: str, kind, name: str) -> tuple:
    """``"1,2,4-6"`` -> ``(1, 2, 4, 5, 6)`` (ints) or ``"a,b"`` -> ``("a", "b")``; one-line errors."""
    from ..errors import SpecError

    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if kind is str:
        return tuple(items)
    out = []
    for t in items:
        lo, dash, hi = t.partition("-")
        try:
            if dash and lo:
                a, b = int(lo), int(hi)
                if b < a:
                    raise SpecError(f"{name}: empty range {t!r}")
                out += list(range(a, b + 1))
            else:
                out.append(int(t))
        except ValueError:
            raise SpecError(f"{name}: {t!r} is not an integer or a range a-b") from None
    return tuple(out)


def config_from(args):
    from ..errors import SpecError
    from ..scaling.sweep import preset

    over = {}
    for attr, (field, kind) in _LISTS.items():
        v = getattr(args, attr, None)
        if v is not None:
            over[field] = parse_list(v, kind, "--" + attr.replace("_", "-"))
    for attr, kind in _SCALARS.items():
        v = getattr(args, attr, None)
        if v is not None:
            try:
                over[attr] = kind(v)
            except ValueError:
                raise SpecError(
                    f"--{attr.replace('_', '-')}: {v!r} is not a{'n integer' if kind is int else ' number'}"
                ) from None
    if getattr(args, "sparsity", None) is not None:
        s = args.sparsity.strip().lower()
        if s in ("none", "cube", "full"):
            over["sparsity"] = None
        else:
            try:
                over["sparsity"] = int(s)
            except ValueError:
                raise SpecError(f"--sparsity: {args.sparsity!r} is not an integer or 'none'") from None
    if getattr(args, "certificates", False):
        over["certificate_files"] = True
    return preset(args.preset, **over)


def check_out(path) -> Path:
    """``--out`` before any work: an existing file, or a folder (or parent) that cannot be written, is refused
    in one line."""
    from ..errors import CapacityError
    from ._common import _writable_dir

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CapacityError(f"--out {path} exists and is not a directory")
    d = p if p.is_dir() else p.absolute().parent
    if not d.exists():
        raise CapacityError(f"--out {path}: directory {d} does not exist")
    _writable_dir(d, f"--out {path}")
    return p


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the worker processes, once shut)."""
    import resource
    import time

    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def write_run_log(out: Path, args, run: dict, cpu_seconds: float) -> Path:
    """``OUT/run.json``: how this invocation went (its arguments, start and end in UTC, load average, wall
    time, the CPU seconds of this process and its workers, the points' own summed times, what came from the
    cache), so a shipped folder says which run computed it."""
    import json

    from ._common import write_atomic

    arguments = {k: v for k, v in sorted(vars(args).items()) if isinstance(v, (str, int, float, bool))}
    log = {"arguments": arguments, **run, "invocation_cpu_seconds": round(cpu_seconds, 2)}
    return write_atomic(out / "run.json", json.dumps(log, indent=1, sort_keys=True) + "\n")


def run(args) -> int:
    import sys

    from ..scaling.cache import NullCache, ResultCache
    from ..scaling.executors import make_executor
    from ..scaling.report import write_report
    from ..scaling.sweep import run_sweep
    from ._common import print_json

    cfg = config_from(args)
    out = check_out(args.out)
    cpu0 = _cpu()
    cache = NullCache() if args.no_cache else ResultCache(args.cache or default_cache_path())
    try:
        executor = make_executor(dask=args.dask, workers=1 if args.report_only else args.workers)
        try:
            sr = run_sweep(
                cfg, cache=cache, executor=executor, progress=not args.no_progress, compute=not args.report_only
            )
            paths = write_report(sr, out, plots=not args.no_plots, certificates=args.certificates)
        finally:
            executor.close()
    finally:
        cache.close()
    paths["run_log"] = write_run_log(out, args, sr.run, _cpu() - cpu0)
    print(
        f"capacity scaling: {sr.run['points']} points ({sr.run['cached']} from the cache) in "
        f"{sr.run['wall_seconds']:.1f} s; tables in {out}",
        file=sys.stderr,
    )
    print_json({"out": str(out), "files": {k: str(v) for k, v in paths.items()}, "run": sr.run})
    return 0
