"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys

from .._files import to_jsonable, write_atomic  # noqa: F401  (re-exported for the commands)
from ..errors import CapacityError


def number(cast, lo=None, hi=None, *, strict_lo=False, name="value"):
    """An argparse type: ``cast(text)`` within ``[lo, hi]`` (``(lo, hi]`` with ``strict_lo``), finite."""
    what = "an integer" if cast is int else "a number"

    def parse(text: str):
        try:
            v = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if v != v or v in (float("inf"), float("-inf")) or (lo is not None and (v < lo or (strict_lo and v == lo))) \
                or (hi is not None and v > hi):
            low = "" if lo is None else f"{'>' if strict_lo else '>='} {lo}"
            high = "" if hi is None else f"<= {hi}"
            raise argparse.ArgumentTypeError(f"{name} must be {what} {' and '.join(x for x in (low, high) if x)}, "
                                             f"got {text}")
        return v

    parse.__name__ = name.replace(" ", "_")
    return parse


positive_int = number(int, 1)
nonneg_int = number(int, 0)
positive_float = number(float, 0, strict_lo=True)
nonneg_float = number(float, 0)
probability = number(float, 0, 1)


def add_domain_arguments(p):
    p.add_argument("--inputs", "-m", type=positive_int, required=True, help="number of Boolean inputs m")
    p.add_argument("--sparsity", "-s", type=nonneg_int, default=None,
                   help="only inputs with at most S ones (default: the full cube)")


def add_weight_arguments(p, real_help="real weights"):
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--weight-bound", "-K", type=positive_int, help="integer weights in [-K, K]")
    g.add_argument("--real", action="store_true", help=real_help)


def add_progress_argument(p):
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def domain_from(args):
    from ..domain import Domain

    return Domain(args.inputs, args.sparsity)


def print_json(obj) -> None:
    json.dump(to_jsonable(obj), sys.stdout, default=str)
    sys.stdout.write("\n")


def require(cond: bool, message: str) -> None:
    if not cond:
        raise CapacityError(message)
