"""``capacity interpret MODEL``: interpret a trained network from its weights alone, proven exact.

MODEL is an ``.npz`` (``W_in, b_in, W_out, b_out``, optional ``W_hidden_k, b_hidden_k``) or a ``.pt``/``.pth``
file holding a torch state dict (Linear layers in order; see :mod:`capacity.torch_io`). With ``--out DIR`` the
command writes ``report.md``, ``report.json`` and ``code.png`` (the code matrix ``cat_tau(W_in)``, hidden units x
inputs, with each output's channel marked): everything is rendered in memory first and the three files are
renamed into place together, so a failure leaves none of them. ``--json`` prints the JSON report to stdout;
otherwise a short summary is printed.
"""

from __future__ import annotations

import argparse
import json

from ._common import (
    add_out_dir_argument,
    add_progress_argument,
    nonneg_int,
    number,
    output_dir,
    positive_float,
    positive_int,
    print_json,
    staged_dir,
    to_jsonable,
)

HELP = "interpret a network from its weights: codes, channels, formulas proven exact, predicted errors"


tau_value = number(float, 0, name="tau")


def tau_list(text: str) -> tuple:
    return tuple(tau_value(t) for t in text.split(",") if t.strip())


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="trained model: .npz (W_in, b_in, W_out, b_out) or .pt/.pth state dict")
    p.add_argument("--inputs", "-m", type=positive_int, default=None,
                   help="number of Boolean inputs (default: the model's; must match it)")
    p.add_argument("--sparsity", "-s", type=nonneg_int, default=None,
                   help="only inputs with at most S ones (default: the full cube)")
    p.add_argument("--tau", type=tau_value, default=0.0,
                   help="categorisation threshold of the code and channels, absolute (default 0)")
    p.add_argument("--taus", type=tau_list, default=None,
                   help="comma-separated tau sweep (default: 0 and 5%%..50%% of the largest weight)")
    from ..features import SPEC_HELP

    p.add_argument("--features", "-f", default=None, metavar="SPEC",
                   help="target features, one per output in order, to measure errors against. " + SPEC_HELP)
    p.add_argument("--activation", choices=("relu", "step"), default=None,
                   help="hidden activation when the file does not say (state dicts; default relu)")
    p.add_argument("--method", choices=("auto", "enumerate", "sat", "both"), default="auto",
                   help="how formulas are proven: enumeration of the domain, SAT with a DRUP proof, both, or "
                        "auto (enumeration when the domain has at most --enumeration-limit points)")
    p.add_argument("--enumeration-limit", type=positive_int, default=1 << 20,
                   help="largest domain that is enumerated (default 2^20)")
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds per SAT proof (default none)")
    p.add_argument("--no-proof-check", action="store_true", help="do not replay the SAT solver's DRUP proofs")
    p.add_argument("--crosscheck", action="store_true",
                   help="also ask the exact solvers whether the network's code represents what it computes")
    add_out_dir_argument(p, "report.md, report.json and code.png (default: print only)", required=False)
    p.add_argument("--json", action="store_true", help="print the JSON report to stdout")
    add_progress_argument(p)


def run(args) -> int:
    from ..errors import CapacityError
    from ..features import from_spec
    from ..interpret import InterpretConfig, interpret
    from ..torch_io import load_model

    out = output_dir(args.out) if args.out else None
    net = load_model(args.model, activation=args.activation)
    if args.inputs is not None and args.inputs != net.d_in:
        raise CapacityError(f"--inputs {args.inputs} does not match the model, which has {net.d_in} inputs")
    if args.sparsity is not None and args.sparsity > net.d_in:
        raise CapacityError(f"--sparsity {args.sparsity} is greater than the number of inputs {net.d_in}")
    config = InterpretConfig(tau=args.tau, taus=args.taus, method=args.method,
                             enumeration_limit=args.enumeration_limit, time_limit=args.time_limit,
                             check_proof=not args.no_proof_check, crosscheck=args.crosscheck)
    targets = None
    if args.features:
        from ..domain import Domain

        try:
            domain = Domain(net.d_in, args.sparsity)
        except CapacityError as exc:
            raise CapacityError(f"--features needs an enumerable domain: {exc}") from None
        targets = from_spec(domain, args.features)
    it = interpret(net, sparsity=args.sparsity, targets=targets, config=config, progress=not args.no_progress)
    report = it.to_dict()
    report["model_path"] = str(args.model)
    text_json = json.dumps(to_jsonable(report), indent=1, default=str) + "\n"
    if out is not None:
        with staged_dir(out) as tmp:
            for name, data in {"report.md": it.to_markdown(), "report.json": text_json,
                               "code.png": it.plot_code()}.items():
                (tmp / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    if args.json:
        print_json(report)
        return 0
    for o in it.outputs:
        f = o["formula"]
        print(f"{o['name']} = {f.text() if f is not None else '(none)'}: {o['claim']}")
        print(f"  channel: {o['channel']}")
        e = o.get("errors")
        if e is not None and e.get("predicted") is not None:
            print(f"  errors vs target: predicted {e['predicted_count']}, actual {e['actual_count']}, "
                  f"{'confirmed' if e['confirmed'] else 'NOT confirmed'}")
    print(f"unit degrees (layer {it.degrees['layer']}): {it.degrees['degree']}")
    if out is not None:
        print(f"wrote {out / 'report.md'}, {out / 'report.json'}, {out / 'code.png'}")
    return 0
