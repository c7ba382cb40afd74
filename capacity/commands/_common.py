"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from ..errors import CapacityError


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {v}")
    return v


def nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return v


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
    json.dump(obj, sys.stdout, indent=None, sort_keys=False, default=_json_default)
    sys.stdout.write("\n")


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return str(o)


def write_atomic(path, data: bytes | str) -> Path:
    """Write a file whole or not at all (temp file + rename), so a failure leaves no partial output."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, mode) as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def require(cond: bool, message: str) -> None:
    if not cond:
        raise CapacityError(message)
