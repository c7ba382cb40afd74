"""``capacity count``: the exact number of functions one readout of a network class computes."""

from __future__ import annotations

from ._common import (
    add_domain_arguments,
    add_progress_argument,
    add_weight_arguments,
    domain_from,
    output_file,
    positive_int,
    print_json,
    require,
    to_jsonable,
    write_atomic,
)
from .represent import add_activation_argument

HELP = "count the distinct functions on the domain that a width-N network class represents (exact)"


def add_arguments(p):
    add_domain_arguments(p)
    p.add_argument("--hidden", "-n", type=positive_int, required=True, help="hidden units N")
    add_activation_argument(p)
    add_weight_arguments(p, real_help="real weights (one unit; or step units without a code)")
    p.add_argument("--nonnegative", action="store_true", help="all weights >= 0 (biases stay free)")
    p.add_argument("--code", metavar="FILE", help="a code (.npz or text of + - 0 rows) constraining the weights")
    p.add_argument("--threads", type=positive_int, default=None, help="worker threads (default: all cores)")
    p.add_argument("--structure", action="store_true",
                   help="with --hidden 1 --real on the full cube (inputs <= 7): also the classes of threshold "
                        "functions up to symmetry and their minimal total weights, checked against OEIS")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", "-o", metavar="FILE", default=None,
                   help="also write the JSON object to FILE (.json; checked before the count starts)")
    add_progress_argument(p)


def run(args) -> int:
    import json

    from ..codes import Code
    from ..enumeration import count

    require(not args.structure or (args.hidden == 1 and args.real and args.sparsity in (None, args.inputs)
                                   and not args.code and not args.nonnegative and args.inputs <= 7),
            "--structure describes one unit with real weights on the full cube of at most 7 inputs: use it with "
            "--hidden 1 --real, no --sparsity, --code or --nonnegative")
    if args.out is not None:
        output_file(args.out, "--out", ".json")
    domain = domain_from(args)
    code = Code.load(args.code) if args.code else None
    res = count(domain, args.hidden, args.activation, None if args.real else args.weight_bound,
                nonnegative=args.nonnegative, code=code, threads=args.threads,
                progress=not args.no_progress and not args.json)
    out = res.to_dict()
    st = None
    if args.structure:
        from ..threshold import structure

        st = structure(args.inputs, threads=args.threads)
        out["structure"] = st.to_dict()
    if args.out is not None:
        write_atomic(args.out, json.dumps(to_jsonable(out), indent=1) + "\n")
    if args.json:
        print_json(out)
    else:
        wb = "real weights" if args.real else f"integer weights in [-{args.weight_bound}, {args.weight_bound}]"
        print(f"{res.count} functions on {domain} ({domain.size} points) from {args.hidden} {args.activation} "
              f"unit(s), {wb}{', non-negative' if args.nonnegative else ''} [{res.method}, "
              f"K used {res.weight_bound_used}, {res.seconds:.3f} s]")
        if st is not None:
            print(st.summary())
    return 0
