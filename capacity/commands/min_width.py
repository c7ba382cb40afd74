"""``capacity min-width``: the proven minimum number of hidden units for a feature set."""

from __future__ import annotations

from ._common import (
    EXIT_UNKNOWN,
    add_domain_arguments,
    add_progress_argument,
    add_weight_arguments,
    domain_from,
    heartbeat,
    output_file,
    positive_int,
    print_json,
)
from .represent import add_activation_argument, add_features_argument, add_solver_arguments

HELP = "the proven minimum width computing all the given features (witness at n, certificate at n-1)"


def add_arguments(p):
    add_domain_arguments(p)
    add_features_argument(p)
    add_activation_argument(p)
    add_weight_arguments(p)
    add_solver_arguments(p, "seconds for the whole search (UNKNOWN, exit 3, when it runs out; default none)")
    p.add_argument("--max-width", type=positive_int, default=None, help="stop searching here (default: domain size)")
    p.add_argument("--workers", "-j", type=positive_int, default=1,
                   help="local processes for each width's auto steps, run at once and combined by the sequential "
                        "rule, or for the cubes of a hard SAT question (step units): the same answer, sooner "
                        "(default 1: one after the other in this process)")
    p.add_argument("--dask", metavar="ADDRESS", default=None, help="run those steps on this Dask scheduler instead")
    p.add_argument("--witness", metavar="PATH", help="save the witness network (.npz); JSON then gives its path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_progress_argument(p)


def run(args) -> int:
    from ..features import from_spec
    from ..solvers import min_width

    if args.witness is not None:
        output_file(args.witness, "--witness")
    domain = domain_from(args)
    features = from_spec(domain, args.features, seed=args.seed)
    progress = not args.no_progress and not args.json
    executor = None
    if args.dask:
        from ..scaling.executors import make_executor

        executor = make_executor(dask=args.dask)
    try:
        with heartbeat("min-width ladder", progress):
            res = min_width(features, activation=args.activation,
                            weight_bound=None if args.real else args.weight_bound, nonnegative=args.nonnegative,
                            method=args.method, time_limit=args.time_limit, max_width=args.max_width,
                            seed=args.seed, progress=progress, workers=args.workers, executor=executor)
    finally:
        if executor is not None:
            executor.close()
    out = res.to_dict()
    if args.witness and res.witness is not None:
        out["witness"] = str(res.witness.save(args.witness))
    code = EXIT_UNKNOWN if str(res.status) == "UNKNOWN" else 0
    if args.json:
        print_json(out)
        return code
    if res.proven:
        below = (f"certificate at width {res.min_width - 1}: {res.certificate.kind} ({res.certificate.detail})"
                 if res.certificate is not None else "width 1 is the smallest width")
        print(f"minimum width {res.min_width} (PROVEN, {res.seconds:.3f} s): witness verified on all "
              f"{domain.size} points; {below}")
    elif res.status == "NONE":
        print(f"not representable with up to {res.lower - 1} hidden units (every width certified)")
    else:
        print(f"minimum width UNKNOWN: between {res.lower} and {res.upper if res.upper else '?'} "
              f"({res.seconds:.3f} s)")
    for s in res.steps:
        print(f"  width {s['width']}: {s['status']} [{s['method']}, {s['seconds']:.3f} s]")
    return code
