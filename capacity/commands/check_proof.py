"""``capacity check-proof``: replay a DRUP or LRAT proof against its CNF, e.g. one a time-limited ``sat`` call kept
because its check did not finish in time."""

from __future__ import annotations

from ._common import EXIT_UNKNOWN, positive_float, print_json

#: the engines of capacity.drup.check_drup (not imported here: the parser must not load numba)
ENGINES = ("auto", "backward", "backward-python", "numba", "python", "forward", "lrat", "lrat-python")
HELP = "check a DRUP or LRAT proof (PROOF.drup, PROOF.lrat) against its CNF (default: PROOF.cnf beside it)"


def add_arguments(p):
    p.add_argument("proof", metavar="PROOF.drup", help="the proof: DRUP or LRAT text, one step per line")
    p.add_argument("--cnf", metavar="F.cnf", default=None, help="the formula (DIMACS; default: PROOF with .cnf)")
    p.add_argument("--time-limit", type=positive_float, default=None,
                   help="seconds for the whole check (reading included); exit 3 when it runs out")
    p.add_argument("--engine", default="auto", choices=list(ENGINES),
                   help="auto (default: lrat for LRAT proofs, else backward), lrat (every lemma against its hints), "
                        "backward (the lemmas the refutation uses), numba or python (forward: every lemma), "
                        "lrat-python and backward-python (the plain twins)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    import sys
    import time
    from pathlib import Path

    from ..drup import check_drup, read_dimacs
    from ..errors import CapacityError

    deadline = None if args.time_limit is None else time.perf_counter() + args.time_limit
    proof_path = Path(args.proof)
    cnf_path = Path(args.cnf) if args.cnf else proof_path.with_suffix(".cnf")
    if not proof_path.is_file():
        raise CapacityError(f"proof file {proof_path} does not exist")
    cnf = read_dimacs(cnf_path)
    res = check_drup(cnf, proof_path.read_bytes(), engine=args.engine, deadline=deadline)
    if args.json:
        print_json({"proof": str(proof_path), "cnf": str(cnf_path), "clauses": len(cnf), **res.to_dict()})
    if res.timed_out:
        print(f"capacity check-proof: UNKNOWN: {res.reason}", file=sys.stderr)
        return EXIT_UNKNOWN
    if not res.ok:
        raise CapacityError(f"proof rejected: {res.reason}")
    if not args.json:
        print(f"proof checked: {res.reason} ({res.lemmas} lemmas read, {res.core} checked, {res.deletions} "
              f"deletions, {res.seconds:.2f} s, engine {res.engine})")
    return 0
