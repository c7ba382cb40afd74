"""``capacity min-width``: the proven minimum number of hidden units for a feature set."""

from __future__ import annotations

from ._common import add_domain_arguments, add_progress_argument, add_weight_arguments, domain_from, positive_float, positive_int, print_json
from .represent import add_features_argument

HELP = "the proven minimum width computing all the given features (witness at n, certificate at n-1)"


def add_arguments(p):
    from ..solvers.front import METHODS

    add_domain_arguments(p)
    add_features_argument(p)
    p.add_argument("--activation", choices=("relu", "step"), required=True)
    add_weight_arguments(p)
    p.add_argument("--nonnegative", action="store_true", help="all weights >= 0 (biases stay free)")
    p.add_argument("--method", choices=METHODS, default="auto")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SEC", help="for the whole search")
    p.add_argument("--max-width", type=positive_int, default=None, help="stop searching here (default: domain size)")
    p.add_argument("--witness", metavar="FILE", help="save the witness network (.npz); JSON then gives its path")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_progress_argument(p)


def run(args) -> int:
    from ..features import from_spec
    from ..solvers import min_width

    domain = domain_from(args)
    features = from_spec(domain, args.features, seed=args.seed)
    res = min_width(features, activation=args.activation, weight_bound=None if args.real else args.weight_bound,
                    nonnegative=args.nonnegative, method=args.method, time_limit=args.time_limit,
                    max_width=args.max_width, seed=args.seed, progress=not args.no_progress and not args.json)
    out = res.to_dict()
    if args.witness and res.witness is not None:
        out["witness"] = str(res.witness.save(args.witness))
    if args.json:
        print_json(out)
        return 0
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
    return 0
