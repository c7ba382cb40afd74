"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .._files import _umask, to_jsonable, write_atomic  # noqa: F401  (re-exported for the commands)
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


#: Exit code of a command whose answer is UNKNOWN (time or budget ran out); bad input exits 2.
EXIT_UNKNOWN = 3


def _writable_dir(d: Path, what: str) -> None:
    if not d.is_dir():
        raise CapacityError(f"{what}: directory {d} does not exist")
    if not os.access(d, os.W_OK | os.X_OK):
        raise CapacityError(f"{what}: directory {d} is not writable")
    try:  # os.access trusts mode bits; /proc and read-only mounts only tell when one tries
        fd, probe = tempfile.mkstemp(dir=d, prefix=".capacity-probe.")
    except OSError as exc:
        raise CapacityError(f"{what}: cannot write in {d} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def output_file(path, option: str, suffix: str | None = None) -> Path:
    """Check an output FILE before any work starts: its directory exists and is writable, and the path is
    not a directory (an existing file is replaced). Returns the path. The same rule for every command."""
    p = Path(path)
    what = f"{option} {path}"
    if suffix is not None and p.suffix != suffix:
        raise CapacityError(f"{what}: the file name must end in {suffix}")
    if p.is_dir():
        raise CapacityError(f"{what} is a directory; give a file name")
    _writable_dir(p.absolute().parent, what)
    return p


def output_dir(path, option: str = "--out") -> Path:
    """Check an output DIRECTORY before any work starts: it does not exist (or is empty) and its parent
    exists and is writable. Commands write into a temporary sibling and rename it at the end, so a failure
    leaves nothing behind. Returns the path."""
    p = Path(path)
    what = f"{option} {path}"
    if p.exists() and not p.is_dir():
        raise CapacityError(f"{what} exists and is not a directory")
    if p.is_dir() and any(p.iterdir()):
        raise CapacityError(f"{what} is not empty; choose a new directory")
    _writable_dir(p.absolute().parent, what)
    return p


@contextlib.contextmanager
def staged_dir(out: Path):
    """Yield a temporary sibling of ``out`` to write into; rename it to ``out`` when the block ends normally,
    delete it when it fails, so ``out`` appears complete or not at all. ``out`` was checked by
    :func:`output_dir` (absent or empty)."""
    out = Path(out)
    parent = out.absolute().parent
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}."))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; the result is an ordinary directory
        yield tmp
        if out.is_dir():
            out.rmdir()  # empty, checked by output_dir
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def heartbeat(desc: str, enabled: bool = True, every: float = 1.0):
    """Show ``desc`` and the elapsed time on stderr (tqdm) while a long call runs that reports no progress of
    its own (a solver call, a minimum-width ladder). Silent for calls shorter than ``every`` seconds; display
    only, never a decision."""
    if not enabled:
        yield
        return
    import threading

    from tqdm.auto import tqdm

    stop = threading.Event()
    state = {}

    def tick():
        if stop.wait(every):
            return
        bar = state["bar"] = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed} elapsed", leave=False)
        while not stop.wait(every):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if "bar" in state:
            state["bar"].close()


def add_out_dir_argument(p, what: str = "", required: bool = True) -> None:
    """``--out DIR``: the same option and rule (:func:`output_dir`) for every command that writes several files."""
    p.add_argument("--out", "-o", required=required, default=None, metavar="DIR",
                   help=f"output directory{' for ' + what if what else ''} (must not exist or be empty; its parent "
                        "must exist); written whole or not at all")
