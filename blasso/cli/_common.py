"""Shared CLI helpers: the session (printing, progress, outputs), option types, data and grid options."""

from __future__ import annotations

import argparse
import inspect
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from blasso.instance import INPUTS, TEACHERS, Instance, load_instance, make_instance
from blasso.memory import parse_bytes
from blasso.progress import make_progress
from blasso.report import atomic_output, check_output_path
from blasso.sphere import GRID_KINDS, Grid, load_grid, make_grid
from blasso.studies.results import format_table
from blasso.validation import BlassoInputError, check_lam

__all__ = [
    "Output", "OutputSpec", "float_type", "int_type", "seed_type", "add_data_arguments", "load_data",
    "add_grid_arguments", "build_grid", "resolve_lam", "format_table", "publish_dir", "check_outputs",
    "SOLVER_POLICY", "api_defaults", "grid_file", "grid_options",
]

#: The default-solver policy, quoted in every ``--solver`` help.
SOLVER_POLICY = ("default AUTO: FAST above 20000 grid atoms or when ECOS is estimated to take over 5 s"
                 " (13 s (n G / 1.03e6)^1.3), ECOS otherwise; exact grid duality gap either way")

#: Largest seed an instance file can store (int64).
MAX_SEED = 2**63 - 1


class Output:
    """One command's session: tables on stdout; messages, progress and errors on stderr; files written."""

    def __init__(self, quiet: bool = False, stream=None, err=None):
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self.progress = make_progress(quiet=quiet, stream=self.err)
        self.written: list[dict] = []

    def print(self, text: str = "") -> None:
        self.progress.close()
        print(text, file=self.stream, flush=True)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.progress.close()
            print(text, file=self.err, flush=True)

    def error(self, text: str) -> None:
        self.progress.close()
        print(f"blasso: {text}", file=self.err, flush=True)

    def wrote(self, role: str, path) -> None:
        """Record a file this run wrote (the path exactly as written)."""
        self.written.append({"role": role, "path": str(path)})


@dataclass
class OutputSpec:
    """An output a command will write, checked before the work starts."""

    option: str
    path: Path
    kind: str = "file"            # "file" or "dir"
    members: tuple = ()           # for "dir": file names written inside


# ----------------------------------------------------------------- option types
def _number(text: str, cast, option_kind: str):
    try:
        v = cast(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"must be {option_kind}; got {text!r}") from None
    return v


def float_type(*, minimum: float | None = None, strict: bool = False, maximum: float | None = None):
    """An argparse type: a finite float ``>= minimum`` (``> minimum`` if ``strict``), ``<= maximum``."""
    def parse(text: str) -> float:
        v = _number(text, float, "a number")
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"must be a finite number; got {text!r}")
        if minimum is not None and (v <= minimum if strict else v < minimum):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {minimum:g}; got {text!r}")
        if maximum is not None and v > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum:g}; got {text!r}")
        return v
    parse.__name__ = "number"
    return parse


def int_type(*, minimum: int = 1, maximum: int | None = None):
    """An argparse type: an integer in ``[minimum, maximum]``."""
    def parse(text: str) -> int:
        v = _number(text, int, "an integer")
        if v < minimum or (maximum is not None and v > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"must be an integer {bound}; got {text!r}")
        return v
    parse.__name__ = "integer"
    return parse


seed_type = int_type(minimum=0, maximum=MAX_SEED)


def memory_size_type(text: str) -> int:
    """An argparse type: a memory size such as ``2G`` (:func:`blasso.memory.parse_bytes`)."""
    try:
        return parse_bytes(text)
    except BlassoInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ----------------------------------------------------------------------- data
def add_data_arguments(p: argparse.ArgumentParser, *, n: int = 100, d: int = 5, m: int = 5,
                       allow_file: bool = True) -> None:
    """``--instance FILE`` (if ``allow_file``) or a generated instance (``--teacher``, ``--n``, ...)."""
    title = "data (an --instance file, or generate one)" if allow_file else "data to generate"
    g = p.add_argument_group(title)
    if allow_file:
        g.add_argument("--instance", metavar="FILE.npz", help="instance file (X, y, teacher_W, teacher_a, lam, seed)")
    g.add_argument("--teacher", default="paper", choices=TEACHERS, help="teacher to generate (default: paper)")
    g.add_argument("--n", type=int_type(), default=n, help=f"number of samples (default {n})")
    g.add_argument("--d", type=int_type(), default=d, help=f"input dimension (default {d})")
    g.add_argument("--m", type=int_type(), default=m, help=f"teacher width (default {m})")
    g.add_argument("--seed", type=seed_type, default=0, help="seed of the generated instance (default 0)")
    g.add_argument("--noise", type=float_type(minimum=0.0), default=0.0,
                   help="label noise standard deviation (default 0)")
    g.add_argument("--inputs", default="sphere", choices=INPUTS, help="input law (default sphere)")
    g.add_argument("--basis", default="random", choices=("random", "canonical"),
                   help="orthonormal teacher directions: random rotation or first basis vectors")


def load_data(args) -> Instance:
    """The ``--instance`` file (errors name the file), or the generated instance."""
    if getattr(args, "instance", None):
        try:
            return load_instance(args.instance)
        except BlassoInputError as exc:
            if repr(str(args.instance)) in str(exc):
                raise
            raise BlassoInputError(f"instance file {str(args.instance)!r}: {exc}") from None
    return make_instance(teacher=args.teacher, n=args.n, d=args.d, m=args.m, seed=args.seed,
                         inputs=args.inputs, noise=args.noise, basis=args.basis)


def resolve_lam(args, inst: Instance, *, allow_zero: bool = False, default: float = 1e-3) -> float:
    """``--lam`` if given, else the instance's ``lam``, else ``default``."""
    lam = args.lam if getattr(args, "lam", None) is not None else inst.lam
    if lam is None:
        lam = default
    return check_lam(lam, allow_zero=allow_zero)


# ----------------------------------------------------------------------- grid
def add_grid_arguments(p: argparse.ArgumentParser, *, default_size: int = 4000) -> None:
    g = p.add_argument_group("grid on the sphere")
    g.add_argument("--grid-size", type=int_type(), default=default_size,
                   help=f"approximate number of grid directions (default {default_size})")
    g.add_argument("--grid-kind", default="auto", choices=("auto",) + GRID_KINDS,
                   help="auto = equiangular (d=2), fibonacci (d=3), cube (d>=4)")
    g.add_argument("--grid", metavar="FILE.npy", help="read the grid (unit vectors, shape (G, d)) from a file")
    g.add_argument("--grid-seed", type=seed_type, default=0, help="seed of a random grid (default 0)")
    g.add_argument("--oracle", action="store_true",
                   help="add the teacher's directions to the grid (reported as an ORACLE grid)")


def grid_file(args, inst: Instance) -> Grid | None:
    """The ``--grid`` file's grid (checked against the data's d), or None: the API then builds the grid itself
    from ``--grid-kind``, ``--grid-size``, ``--grid-seed`` and ``--oracle``."""
    return load_grid(args.grid, inst.d) if getattr(args, "grid", None) else None


def grid_options(args) -> dict:
    """The grid options of ``add_grid_arguments`` as keyword arguments of :mod:`blasso.studies.api`."""
    return {"grid_size": args.grid_size, "grid_kind": args.grid_kind, "oracle": args.oracle}


def api_defaults(func) -> dict:
    """``{parameter: default}`` of a :mod:`blasso.studies.api` function: the one definition the options read."""
    return {k: p.default for k, p in inspect.signature(func).parameters.items() if p.default is not p.empty}


def build_grid(args, inst: Instance) -> Grid:
    if args.grid:
        grid = load_grid(args.grid, inst.d)
    else:
        grid = make_grid(args.grid_kind, args.grid_size, inst.d, rng=args.grid_seed)
    if args.oracle:
        if not inst.has_teacher:
            raise BlassoInputError("--oracle needs an instance with a teacher")
        from blasso.sphere import add_atoms
        grid = add_atoms(grid, inst.teacher_measure().theta)
    return grid


def publish_dir(make_files, directory: Path) -> list[Path]:
    """Write files into a staging folder with ``make_files(staging) -> [paths]``, then move them into ``directory``.

    Each file lands with an atomic rename; ``directory`` is created only when
    there is at least one file, so a run that produces nothing leaves no empty folder.
    """
    directory = Path(directory)
    anc = directory
    while not anc.exists():
        anc = anc.parent
    staging = Path(tempfile.mkdtemp(dir=anc, prefix=".blasso-staging-"))
    try:
        produced = [Path(p) for p in make_files(staging)]
        if not produced:
            return []
        directory.mkdir(parents=True, exist_ok=True)
        final = []
        for src in produced:
            dst = directory / src.name
            with atomic_output(dst) as tmp:
                os.replace(src, tmp)
            final.append(dst)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def check_outputs(specs: list[OutputSpec], inputs: list[tuple[str, str]], force: bool) -> None:
    """Check every output before the work: each one valid, none an input, no two the same."""
    seen: dict = {}
    for s in specs:
        check_output_path(s.path, option=s.option, kind=s.kind, inputs=inputs, force=force, members=s.members)
        names = [s.path / m for m in s.members] if s.kind == "dir" else [s.path]
        for q in names:
            key = str(Path(q).expanduser().resolve())
            if key in seen:
                raise BlassoInputError(f"{s.option} {str(q)!r} is also the {seen[key]} output; give two paths")
            seen[key] = s.option
