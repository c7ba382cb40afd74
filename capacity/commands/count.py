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
                   help="with --hidden 1 --real on the full cube (inputs <= 9): also the classes of threshold "
                        "functions up to symmetry and (inputs <= 8) their minimal total weights, checked against "
                        "OEIS")
    p.add_argument("--method", choices=["auto", "enumerate", "generation", "classes"], default="auto",
                   help="enumerate: scan weight boxes; generation: one unit, real weights, full cube only, the "
                        "threshold functions level by level from k - 1; classes: 1 to 3 step units, real weights, "
                        "full cube of at most 5 inputs, one exact decision per NPN class (docs/counting.md); "
                        "auto: generation for one unit from 8 inputs on, classes for 2 or 3 step units on 5 "
                        "inputs, enumerate otherwise")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="generation: local worker processes (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS", default=None, help="generation: run the chunks on this Dask scheduler")
    p.add_argument("--cache", metavar="DIR", default=None,
                   help="generation, classes: keep every finished chunk in DIR and reuse it (a killed run resumes)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", "-o", metavar="FILE", default=None,
                   help="also write the JSON object to FILE (.json; checked before the count starts)")
    add_progress_argument(p)


def run(args) -> int:
    from ..codes import Code
    from ..enumeration import count

    require(not args.structure or (args.hidden == 1 and args.real and args.sparsity in (None, args.inputs)
                                   and not args.code and not args.nonnegative and args.inputs <= 9),
            "--structure describes one unit with real weights on the full cube of at most 9 inputs (minimal "
            "weights up to 8): use it with --hidden 1 --real, no --sparsity, --code or --nonnegative")
    one_threshold_unit = (args.hidden == 1 and args.real and args.sparsity in (None, args.inputs) and not args.code
                          and not args.nonnegative)
    require(args.method != "generation" or (one_threshold_unit and args.inputs <= 9),
            "--method generation counts one unit with real weights on the full cube of at most 9 inputs: use it "
            "with --hidden 1 --real, no --sparsity, --code or --nonnegative")
    step_units = (args.activation == "step" and args.real and args.sparsity in (None, args.inputs) and not args.code
                  and not args.nonnegative and args.hidden <= 3)
    require(args.method != "classes" or (step_units and args.inputs <= 5),
            "--method classes counts 1 to 3 step units with real weights on the full cube of at most 5 inputs: use "
            "it with --activation step --real, no --sparsity, --code or --nonnegative")
    if args.out is not None:
        output_file(args.out, "--out", ".json")
    if args.method == "classes" or (args.method == "auto" and step_units and args.hidden >= 2 and args.inputs == 5):
        return _classes(args)
    if args.method == "generation" or (args.method == "auto" and one_threshold_unit and 8 <= args.inputs <= 9):
        return _generation(args)
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
    wb = "real weights" if args.real else f"integer weights in [-{args.weight_bound}, {args.weight_bound}]"
    return _emit(args, out, f"{res.count} functions on {domain} ({domain.size} points) from {args.hidden} "
                 f"{args.activation} unit(s), {wb}{', non-negative' if args.nonnegative else ''} [{res.method}, "
                 f"K used {res.weight_bound_used}, {res.seconds:.3f} s]", *([st.summary()] if st is not None else []))


def _generation(args) -> int:
    from ..threshold import count_by_generation

    g = count_by_generation(args.inputs, workers=args.workers, dask=args.dask, cache_dir=args.cache,
                            progress=not args.no_progress and not args.json)
    out = {"inputs": args.inputs, "hidden": 1, "activation": args.activation, "weight_bound": "real",
           "method": "generation", **g.to_dict()}
    st = None
    if args.structure:
        out["structure"] = g.classes()
        if args.inputs <= 8:
            st = g.structure(progress=not args.no_progress and not args.json)
            out["structure"].update(st.to_dict())
    return _emit(args, out, f"{g.count} functions on {{0,1}}^{args.inputs} from 1 {args.activation} unit, real "
                 f"weights [generation, {len(g.canon)} canonical functions, {g.seconds:.3f} s]",
                 *([str(st.summary() if st is not None else out["structure"])] if args.structure else []))


def _classes(args) -> int:
    from ..npn import count_step_by_classes

    res = count_step_by_classes(args.inputs, args.hidden, threads=args.threads or 1, cache=args.cache,
                                progress=not args.no_progress and not args.json)
    return _emit(args, res.to_dict(), f"{res.count} functions on {{0,1}}^{args.inputs} from {args.hidden} step "
                 f"unit(s), real weights [npn classes: {res.member_classes} of {res.classes} classes computed, "
                 f"every witness checked, {res.seconds:.3f} s]")


def _emit(args, out: dict, *lines: str) -> int:
    """Write ``out`` to ``--out`` (JSON) if asked, then print it as JSON or as the text ``lines``."""
    import json

    if args.out is not None:
        write_atomic(args.out, json.dumps(to_jsonable(out), indent=1) + "\n")
    if args.json:
        print_json(out)
    else:
        print("\n".join(lines))
    return 0
