"""The ``capacity`` command line (also ``python -m capacity``).

Each subcommand lives in ``capacity/commands/<name>.py`` with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; modules are imported only when their command runs, so ``capacity count`` never
imports torch. Exit codes (docs/cli.md): 0 answered; 2 bad input (any :class:`~capacity.errors.CapacityError`,
or bad arguments), one line on stderr, checked before work starts; 3 an UNKNOWN answer
(``capacity.commands._common.EXIT_UNKNOWN``); 1 a bug ("internal error"); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .errors import CapacityError

__all__ = ["main", "COMMANDS"]

#: subcommand name -> module under capacity.commands
COMMANDS = {
    "count": "count",
    "represent": "represent",
    "min-width": "min_width",
    "train": "train",
    "interpret": "interpret",
    "scaling": "scaling",
    "fpe": "fpe",
    "emergence": "emergence",
    "codes": "codes",
    "check-proof": "check_proof",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints the usage block too)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _module(name: str):
    return importlib.import_module(f"capacity.commands.{COMMANDS[name]}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="capacity", description="Exact capacity of small neural networks.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"capacity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        if only is not None and name != only:
            sub.add_parser(name, help="(see capacity %s --help)" % name, add_help=False)
            continue
        mod = _module(name)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    cmd = next((a for a in argv if not a.startswith("-")), None)
    only = cmd if cmd in COMMANDS and not {"-h", "--help"} & set(argv[: argv.index(cmd)]) else None
    parser = build_parser(only)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(_module(args.command).run(args) or 0)
    except CapacityError as exc:
        print(f"capacity {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        return 0
    except KeyboardInterrupt:
        print("capacity: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so in one line unless debugging
        if os.environ.get("CAPACITY_DEBUG"):
            raise
        print(f"capacity {args.command}: internal error: {type(exc).__name__}: {exc} "
              "(set CAPACITY_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
