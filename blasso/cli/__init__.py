"""The ``blasso`` command line: argument parsing, printing and the ``--json`` report.

No mathematics lives here: every command module parses its options, calls one
study or solver function, prints a short report and returns the figures that
become the ``--json`` report (contract: :mod:`blasso.report`,
``docs/report.md``).  A command module defines ``NAME``, ``HELP``,
``add_arguments(parser)``, optionally ``outputs(args) -> [OutputSpec]``, and
``run(args, out) -> dict`` with keys ``figures`` and optionally ``measures``
(name -> Measure), ``solver_status`` (label -> status), ``solvers`` (names
used), ``seeds`` and ``sizes``.  Register it in :data:`COMMAND_MODULES`.

Every output path is checked before the work starts (a refused path means
exit 2 and nothing written, not even the report), existing outputs need
``--force``, and every file is written atomically.

Exit codes: 0 success, 2 bad input (including unusable output paths), 3
solver failure, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time
import traceback
import warnings

from blasso import __version__
from blasso.memory import limits
from blasso.report import (SCHEMA_VERSION, file_record, library_versions, measure_record,
                           write_json_atomic)
from blasso.validation import BlassoInputError, SolverError

from ._common import Output, OutputSpec, check_outputs, memory_size_type

__all__ = ["main", "COMMAND_MODULES", "build_parser"]

#: Command modules (inside ``blasso.cli``), in the order ``--help`` lists them.
COMMAND_MODULES = ["make_instance", "solve", "demo", "gd", "compare", "reproduce", "certify", "assumptions", "theory", "sweep", "baseline"]

#: Options naming input files (hashed into the report, never overwritten).
INPUT_OPTIONS = (("instance", "--instance"), ("grid", "--grid"), ("gd_trace", "--gd-trace"))

#: Options recorded as seeds when the command has them.
SEED_OPTIONS = ("seed", "grid_seed", "init_seed")


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (``blasso solve: error: argument --tol: ...``) and no exit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)    # '--merge-angle' must not silently mean '--merge-angle-deg'
        super().__init__(*args, **kwargs)
        # '--ftol -1e-9' is a (bad) value, not an option: let the type check name it
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-inf$")

    def error(self, message: str):
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


class _UsageError(Exception):
    pass


class _Refused(BlassoInputError):
    """An output path was refused before any work: nothing is written, not even the report."""


def _load_commands():
    return [importlib.import_module(f"blasso.cli.{name}") for name in COMMAND_MODULES]


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    """The top-level parser and ``{command name: module}``."""
    parser = ArgumentParser(prog="blasso",
                            description="Convex certificates (BLASSO) for gradient descent on two-layer ReLU "
                                        "networks.  Exit codes: 0 ok, 2 bad input, 3 solver failure, "
                                        "130 interrupted.")
    parser.add_argument("--version", action="version", version=f"blasso {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands = {}
    for mod in _load_commands():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        g = p.add_argument_group("output")
        g.add_argument("--json", metavar="PATH", help="write the JSON report of this run to PATH (its folder must exist)")
        g.add_argument("--force", action="store_true", help="overwrite existing output files")
        g.add_argument("--quiet", action="store_true", help="print only the final table (no progress)")
        g.add_argument("--max-memory", type=memory_size_type, default=None, metavar="SIZE",
                       help="refuse, before allocating, any step estimated to need more than SIZE (e.g. 2G, 512M; "
                            "default: the available memory)")
        mod.add_arguments(p)
        commands[mod.NAME] = mod
    return parser, commands


def _parse(parser, argv):
    """Parsed args, or an exit code (0 for --help/--version, 2 for a usage error)."""
    try:
        return parser.parse_args(argv)
    except _UsageError as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return 2
    except SystemExit as exc:       # --help, --version
        return int(exc.code or 0)


def _inputs(args) -> list[tuple[str, str]]:
    return [(opt, getattr(args, attr)) for attr, opt in INPUT_OPTIONS if getattr(args, attr, None)]


def _preflight(args, mod) -> list[OutputSpec]:
    """Check the output paths before any work (raises BlassoInputError)."""
    specs = [OutputSpec("--json", args.json)] if args.json else []
    try:
        specs += list(getattr(mod, "outputs", lambda _a: [])(args))
        check_outputs(specs, _inputs(args), args.force)
    except BlassoInputError as exc:
        raise _Refused(str(exc)) from None
    return specs


def _envelope(args, argv, result: dict, status: str, error, out: Output, wall_s: float) -> dict:
    """The report of :mod:`blasso.report` from a command's result."""
    files = []
    for opt, path in _inputs(args):
        try:
            files.append(file_record(opt.lstrip("-"), path))
        except OSError:
            pass
    seeds = {k: getattr(args, k) for k in SEED_OPTIONS if getattr(args, k, None) is not None}
    if getattr(args, "instance", None):
        seeds.pop("seed", None)         # generates no data then; the file's seed is instance_seed
    seeds.update(result.get("seeds", {}))
    measures = {k: measure_record(v) for k, v in result.get("measures", {}).items()}
    return {
        "command": args.command, "version": __version__, "schema": SCHEMA_VERSION, "status": status,
        "argv": [str(a) for a in argv],
        "inputs": {"files": files, "seeds": seeds, "sizes": result.get("sizes", {})},
        "versions": library_versions(result.get("solvers", ())),
        "figures": result.get("figures", {}), "measures": measures,
        "solver_status": result.get("solver_status", {}),
        "outputs": list(out.written), "warnings": list(getattr(out, "warnings", [])), "error": error, "wall_s": wall_s,
    }


def _is_ours(category) -> bool:
    return category.__module__.split(".")[0] in ("blasso", "solvers", "certificates")


def _show_warnings(out):
    """Print the library's warnings as one line each (``blasso: warning: ...``, even with ``--quiet``)
    and keep them for the report (``out.warnings``); other packages' warnings as usual."""
    original = warnings.showwarning
    out.warnings = []

    def show(message, category, filename, lineno, file=None, line=None):
        if _is_ours(category):
            out.warnings.append(str(message))
            out.error(f"warning: {message}")
        else:
            original(message, category, filename, lineno, file, line)
    return show


def _run(mod, args, out) -> tuple[dict, str, dict | None, int]:
    """Run the command; map exceptions to (result, status, error, exit code)."""
    try:
        _preflight(args, mod)
        return mod.run(args, out) or {}, "ok", None, 0
    except _Refused as exc:
        out.error(f"input error: {exc}")
        args.json = None                # refused before any work: write nothing
        return {}, "error", {"kind": "input", "message": str(exc)}, 2
    except BlassoInputError as exc:
        out.error(f"input error: {exc}")
        return {}, "error", {"kind": "input", "message": str(exc)}, 2
    except SolverError as exc:
        out.error(f"solver error: {exc}")
        return {}, "error", {"kind": "solver", "message": str(exc)}, 3
    except KeyboardInterrupt:
        out.error("interrupted")
        return {}, "interrupted", {"kind": "interrupted", "message": "interrupted (KeyboardInterrupt)"}, 130


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``blasso`` console script; returns the exit code.

    Output piped into a reader that stops early (``blasso sweep status | head``)
    ends the command quietly with exit code 141 (128 + SIGPIPE, as a shell
    reports it) instead of a ``BrokenPipeError`` traceback.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        # later writes (and the interpreter's final flush) must not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, commands = build_parser()
    args = _parse(parser, argv)
    if isinstance(args, int):
        return args
    if args.command is None:
        parser.print_help()
        return 2
    out = Output(quiet=args.quiet)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings(), limits(max_memory=args.max_memory):   # limit restored afterwards
            warnings.showwarning = _show_warnings(out)
            result, status, error, code = _run(commands[args.command], args, out)
    except Exception as exc:        # unexpected: leave a JSON trace, then re-raise
        if args.json:
            err = {"kind": "internal", "message": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()}
            _write_report(args, argv, {}, "error", err, out, t0)
        raise
    finally:
        out.progress.close()
    if args.json:
        path = _write_report(args, argv, result, status, error, out, t0)
        out.info(f"JSON report written to {path}")
    return code


def _write_report(args, argv, result, status, error, out, t0):
    out.wrote("json", args.json)
    report = _envelope(args, argv, result, status, error, out, time.perf_counter() - t0)
    try:
        return write_json_atomic(args.json, report)
    except KeyboardInterrupt:       # a second Ctrl-C while writing: the old file stays intact
        return args.json


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
