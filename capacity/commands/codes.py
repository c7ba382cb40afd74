"""``capacity codes MODEL``: from a trained model to the representable set of its code.

Reads the network (``.npz`` or torch ``.pt``/``.pth``, see :mod:`capacity.torch_io`), takes its code at ``tau``
(``S_in = cat_tau(W_in)`` and ``S_b_in = cat_tau(b_in)``; the readout stays free, one per feature), and decides
for every feature of the family whether a network with exactly this sign pattern and integer weights in
``[-K, K]`` computes it (:func:`capacity.solvers.representable_set`). The table says for every feature:

* ``computed``: the trained network computes it at one of its outputs (exactly, on every domain point);
* ``reachable``: the code could compute it at the same ``P`` but the trained weights do not;
* ``impossible``: no network with this code (in the class) computes it; a checked certificate is given;
* ``unknown``: the budget ran out (the command then exits with code 3).

A feature the real-weight network computes may still be ``impossible`` in the integer class; the table
shows it as ``computed`` with status NOT_REPRESENTABLE. Writes ``codes.md``, ``codes.csv`` and ``codes.json``
to ``--out DIR`` (all or nothing).
"""

from __future__ import annotations

import json

from ._common import (
    EXIT_UNKNOWN,
    add_progress_argument,
    nonneg_int,
    number,
    output_dir,
    positive_float,
    positive_int,
    staged_dir,
    to_jsonable,
)

HELP = "the representable set of a trained model's code: computed, reachable and impossible features"


def add_arguments(p) -> None:
    from ..features import SPEC_HELP

    p.add_argument("model", help="trained model: .npz (W_in, b_in, W_out, b_out) or .pt/.pth")
    p.add_argument("--family", "-f", required=True, metavar="SPEC", help="the feature family. " + SPEC_HELP)
    p.add_argument("--sparsity", "-s", type=nonneg_int, default=None,
                   help="only inputs with at most S ones (default: the full cube)")
    p.add_argument("--tau", type=number(float, 0, name="tau"), default=0.0,
                   help="code threshold: |w| <= tau counts as 0 (default 0)")
    p.add_argument("--weight-bound", "-K", type=positive_int, default=1,
                   help="integer weights in [-K, K] (default 1)")
    p.add_argument("--activation", choices=("relu", "step"), default=None,
                   help="hidden activation when the file does not say (default relu)")
    p.add_argument("--time-limit", type=positive_float, default=None, metavar="SEC",
                   help="wall-clock budget for the whole call; undecided features are UNKNOWN")
    p.add_argument("--max-calls", type=nonneg_int, default=None,
                   help="deterministic budget: at most this many solver calls")
    p.add_argument("--workers", type=positive_int, default=1, help="local processes (default 1)")
    p.add_argument("--dask", metavar="ADDRESS", default=None, help="run the feature chunks on this Dask scheduler")
    p.add_argument("--no-merge", action="store_true", help="do not merge features by code automorphisms")
    p.add_argument("--seed", type=int, default=0, help="seed for random feature families")
    p.add_argument("--out", "-o", required=True, metavar="DIR",
                   help="output directory (must not exist or be empty): codes.md, codes.csv, codes.json")
    add_progress_argument(p)


def rows(rs, computed_by: dict) -> list[dict]:
    """One row per feature: name, category, status, evidence."""
    out = []
    for f, (name, r, status) in enumerate(zip(rs.family.names, rs.results, rs.statuses)):
        by = computed_by.get(f)
        category = ("computed" if by is not None else {"REPRESENTABLE": "reachable", "NOT_REPRESENTABLE": "impossible",
                                                       "UNKNOWN": "unknown"}[status])
        if status == "REPRESENTABLE":
            evidence = f"witness verified ({r.info.get('source') or r.method})"
        elif status == "NOT_REPRESENTABLE":
            evidence = f"{r.certificate.kind} certificate, checked ({r.method})"
        else:
            evidence = r.info.get("reason", "") if r is not None else ""
        out.append({"feature": name, "category": category, "status": status,
                    "network_output": "" if by is None else f"y{by}", "evidence": evidence})
    return out


def run(args) -> int:
    import numpy as np
    import pandas as pd

    from .._files import markdown_table
    from ..codes import Code
    from ..domain import Domain
    from ..errors import CapacityError
    from ..features import from_spec
    from ..solvers import representable_set
    from ..torch_io import load_model

    out = output_dir(args.out)
    net = load_model(args.model, args.activation)
    if len(net.layers) != 2:
        raise CapacityError(f"{args.model} has {len(net.layers) - 1} hidden layers; codes need exactly one")
    domain = Domain(net.d_in, args.sparsity)
    family = from_spec(domain, args.family, seed=args.seed)
    full = Code.from_network(net, args.tau)
    code = Code(full.S_in, full.S_b_in, None)
    tables = net.truth_tables(domain)
    computed_by = {}
    for f, row in enumerate(family.tables):
        hit = np.flatnonzero(np.all(tables == row, axis=1))
        if hit.size:
            computed_by[f] = int(hit[0])
    executor = None
    if args.dask:
        from ..scaling.executors import make_executor

        executor = make_executor(dask=args.dask)
    try:
        rs = representable_set(code, family, activation=net.activation, weight_bound=args.weight_bound,
                               method="incremental", time_limit=args.time_limit, max_calls=args.max_calls,
                               network=net, merge=not args.no_merge, workers=args.workers, executor=executor,
                               progress=not args.no_progress, seed=args.seed)
    finally:
        if executor is not None:
            executor.close()
    table = pd.DataFrame(rows(rs, computed_by))
    counts = table["category"].value_counts().to_dict()
    summary = {"model": str(args.model), "inputs": net.d_in, "sparsity": args.sparsity, "d_hidden": net.d_hidden,
               "tau": args.tau, "weight_bound": args.weight_bound, "activation": net.activation,
               "family": args.family, "family_size": len(family), "parameter_size": rs.parameter_size,
               "code_nonzeros": int(np.count_nonzero(code.S_in)),
               "computed": counts.get("computed", 0), "reachable": counts.get("reachable", 0),
               "impossible": counts.get("impossible", 0), "unknown": counts.get("unknown", 0),
               "seconds": round(rs.seconds, 3), "info": rs.info}
    md = [f"# Representable set of the code of `{args.model}`", "",
          f"Code at tau = {args.tau}: {net.d_hidden} hidden units x {net.d_in} inputs, "
          f"{summary['code_nonzeros']} non-zero entries (sign mode, biases signed as trained); "
          f"integer weights in [-{args.weight_bound}, {args.weight_bound}], {net.activation}, one free readout per "
          f"feature; P = {rs.parameter_size}. Domain {domain}; family `{args.family}` ({len(family)} features).", "",
          f"- computed by the trained network: {summary['computed']}",
          f"- reachable with this code but not computed: {summary['reachable']}",
          f"- impossible with this code (checked certificates): {summary['impossible']}",
          f"- unknown (budget ran out): {summary['unknown']}", "",
          f"SAT solver calls: {rs.info.get('solver_calls', 0)}; features merged by code automorphisms: "
          f"{rs.info.get('calls_saved_by_automorphisms', 0)}; answered by the trained outputs: "
          f"{rs.info.get('cheap_witness_orbits', 0)}; by a known hidden layer with a new readout: "
          f"{rs.info.get('known_hidden_layer_hits', 0)}; {rs.seconds:.1f} s.", "", markdown_table(table), ""]
    results = [None if r is None else r.to_dict() for r in rs.results]
    for d in results:
        if d is not None:
            d.pop("problem", None)  # the code and the class are in the summary
    with staged_dir(out) as tmp:
        (tmp / "codes.md").write_text("\n".join(md))
        table.to_csv(tmp / "codes.csv", index=False)
        (tmp / "codes.json").write_text(json.dumps(to_jsonable({"summary": summary, "code": code.to_dict(),
                                                                "features": table.to_dict("records"),
                                                                "results": results}), default=str))
    print(f"{len(family)} features: {summary['computed']} computed, {summary['reachable']} reachable, "
          f"{summary['impossible']} impossible, {summary['unknown']} unknown ({rs.seconds:.1f} s) -> {out}")
    return EXIT_UNKNOWN if summary["unknown"] else 0
