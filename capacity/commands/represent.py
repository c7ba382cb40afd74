"""``capacity represent``: can a width-N hidden layer compute all the given features at once?"""

from __future__ import annotations

from pathlib import Path

from ._common import (
    EXIT_UNKNOWN,
    add_domain_arguments,
    add_progress_argument,
    add_weight_arguments,
    domain_from,
    heartbeat,
    output_file,
    positive_float,
    positive_int,
    print_json,
    require,
)

HELP = "decide whether N hidden units compute all the given features at once (witness or certificate)"


def add_features_argument(p):
    from ..features import SPEC_HELP

    p.add_argument("--features", "-f", required=True, metavar="SPEC", help=SPEC_HELP)
    p.add_argument("--seed", type=int, default=0, help="seed for random feature families and solvers")


def add_activation_argument(p):
    p.add_argument("--activation", choices=("relu", "step"), required=True,
                   help="hidden unit: relu = max(0, z) or step = [z >= 0] (the readout is always a step)")


def add_solver_arguments(p, time_help):
    from ..solvers.front import METHODS

    p.add_argument("--nonnegative", action="store_true", help="all weights >= 0 (biases stay free)")
    p.add_argument("--method", choices=METHODS, default="auto",
                   help="exact method (default auto: chosen from the problem's size with deterministic rules; "
                        "docs/design.md §5)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SEC", help=time_help)


def add_arguments(p):
    add_domain_arguments(p)
    p.add_argument("--hidden", "-n", type=positive_int, required=True, help="hidden units N")
    add_features_argument(p)
    p.add_argument("--code", metavar="FILE",
                   help="a feature-channel code: .npz with S_in[, S_b_in, S_out, mode] or a text file of + - 0 rows")
    add_weight_arguments(p)
    add_activation_argument(p)
    add_solver_arguments(p, "seconds for the whole call, proof checking included (UNKNOWN, exit 3, when it "
                            "runs out; default none)")
    p.add_argument("--proof", metavar="PATH",
                   help="with --method sat: write the DRUP proof of a NOT_REPRESENTABLE answer to PATH and "
                        "the CNF beside it")
    p.add_argument("--witness", metavar="PATH", help="save the witness network of a REPRESENTABLE answer (.npz)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_progress_argument(p)


def describe(res) -> str:
    lines = [f"{res.status} ({res.method}, {res.seconds:.3f} s)"]
    if res.witness is not None:
        w = res.witness
        lines.append(f"witness verified on all {res.problem.domain.size} points; P = {w.parameter_size} non-zero "
                     f"weights")
        for name in ("W_in", "b_in", "W_out", "b_out"):
            lines.append(f"  {name} = {getattr(w, name).tolist()}")
    if res.certificate is not None:
        c = res.certificate
        lines.append(f"certificate: {c.kind} ({'checked' if c.checked else 'unchecked'}) {c.detail}"
                     + (f" [{c.path}]" if c.path else ""))
    if res.info.get("reason"):
        lines.append(f"reason: {res.info['reason']}")
    return "\n".join(lines)


def run(args) -> int:
    from ..codes import Code
    from ..features import from_spec
    from ..solvers import Problem, Status, representable

    require(args.proof is None or args.method == "sat",
            f"--proof needs --method sat (method {args.method} writes no DRUP proof)")
    if args.proof is not None:
        output_file(args.proof, "--proof")
        require(Path(args.proof).suffix != ".cnf", f"--proof {args.proof}: the CNF is written beside the proof "
                "with suffix .cnf; name the proof .drup")
    if args.witness is not None:
        output_file(args.witness, "--witness")
    if args.proof is not None and args.witness is not None:
        w, p = Path(args.witness), Path(args.proof)
        w = w if w.suffix == ".npz" else w.with_suffix(w.suffix + ".npz")  # as Network.save names it
        require(w.absolute() != p.absolute(), f"--witness {args.witness} and --proof {args.proof} name the same file")
    domain = domain_from(args)
    features = from_spec(domain, args.features, seed=args.seed)
    code = Code.load(args.code) if args.code else None
    problem = Problem(features, args.hidden, args.activation, None if args.real else args.weight_bound,
                      args.nonnegative, code, args.seed)
    progress = not args.no_progress and not args.json
    with heartbeat(f"represent ({args.method})", progress):
        res = representable(problem, args.method, time_limit=args.time_limit, seed=args.seed,
                            proof_path=args.proof, progress=progress)
    out = res.to_dict()
    if args.witness and res.witness is not None:
        out["witness_path"] = str(res.witness.save(args.witness))
    if args.json:
        print_json(out)
    else:
        print(describe(res))
    return EXIT_UNKNOWN if res.status is Status.UNKNOWN else 0
