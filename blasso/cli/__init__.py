"""The ``blasso`` command line: argument parsing, printing and ``--json`` output.

No mathematics lives here: every command module parses its options, calls the
library, prints a short report and returns a dict that becomes the ``--json``
object.  A command module defines ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args, out) -> dict``; register it in :data:`COMMAND_MODULES`.

Exit codes: 0 success, 2 bad input, 3 solver failure.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from blasso import __version__
from blasso.validation import BlassoInputError, SolverError

from ._common import Output, write_json

__all__ = ["main", "COMMAND_MODULES"]

#: Command modules (inside ``blasso.cli``), in the order ``--help`` lists them.
COMMAND_MODULES = [
    "make_instance",
    "solve",
    "demo",
    "gd",
    "compare",
    "reproduce",
    "certify",
]


def _load_commands():
    return [importlib.import_module(f"blasso.cli.{name}") for name in COMMAND_MODULES]


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog="blasso",
        description="Convex certificates (BLASSO) for gradient descent on two-layer ReLU networks.",
    )
    parser.add_argument("--version", action="version", version=f"blasso {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = {}
    for mod in _load_commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        p.add_argument("--json", metavar="PATH", help="write a JSON report of this run to PATH")
        p.add_argument("--quiet", action="store_true", help="print only the final table")
        mod.add_arguments(p)
        commands[mod.NAME] = mod
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``blasso`` console script."""
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    mod = commands[args.command]
    out = Output(quiet=args.quiet)
    t0 = time.perf_counter()
    report: dict = {}
    code = 0
    try:
        report = mod.run(args, out) or {}
        report.setdefault("status", "ok")
    except BlassoInputError as exc:
        out.error(f"input error: {exc}")
        report = {"status": "error", "error": f"input error: {exc}"}
        code = 2
    except SolverError as exc:
        out.error(f"solver error: {exc}")
        report = {"status": "error", "error": f"solver error: {exc}"}
        code = 3
    except KeyboardInterrupt:
        out.error("interrupted")
        report = {"status": "error", "error": "interrupted"}
        code = 130
    except Exception as exc:  # unexpected: still leave a JSON trace, then re-raise
        report = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        if args.json:
            write_json(args.json, args.command, report, time.perf_counter() - t0)
        raise
    if args.json:
        path = write_json(args.json, args.command, report, time.perf_counter() - t0)
        out.info(f"JSON report written to {path}")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
