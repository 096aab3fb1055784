"""Shared CLI helpers: output, JSON, data and grid options."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


from blasso import __version__
from blasso.jsonio import to_jsonable
from blasso.instance import INPUTS, TEACHERS, Instance, load_instance, make_instance
from blasso.sphere import GRID_KINDS, Grid, load_grid, make_grid
from blasso.validation import BlassoInputError, check_lam

__all__ = [
    "Output",
    "write_json",
    "to_jsonable",
    "add_data_arguments",
    "load_data",
    "add_grid_arguments",
    "build_grid",
    "resolve_lam",
    "format_table",
]


class Output:
    """Printing for commands: tables on stdout, progress and errors on stderr."""

    def __init__(self, quiet: bool = False, stream=None, err=None):
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.err = err or sys.stderr
        self._t0 = time.perf_counter()

    def print(self, text: str = "") -> None:
        print(text, file=self.stream, flush=True)

    def info(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.err, flush=True)

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self._t0:7.1f}s] {text}", file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(f"blasso: {text}", file=self.err, flush=True)


def write_json(path: str | Path, command: str, report: dict, wall_s: float) -> Path:
    """Write the report with the contract fields ``command, version, status, wall_s``."""
    path = Path(path)
    payload = {"command": command, "version": __version__, "status": report.get("status", "ok")}
    payload.update(report)
    payload["wall_s"] = wall_s
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(payload), indent=1) + "\n")
    return path


# ----------------------------------------------------------------------- data
def add_data_arguments(p: argparse.ArgumentParser, *, n: int = 100, d: int = 5, m: int = 5) -> None:
    """``--instance FILE`` or a generated instance (``--teacher``, ``--n``, ...)."""
    g = p.add_argument_group("data (an --instance file, or generate one)")
    g.add_argument("--instance", metavar="FILE.npz", help="instance file (X, y, teacher_W, teacher_a, lam, seed)")
    g.add_argument("--teacher", default="paper", choices=TEACHERS, help="teacher to generate (default: paper)")
    g.add_argument("--n", type=int, default=n, help=f"number of samples (default {n})")
    g.add_argument("--d", type=int, default=d, help=f"input dimension (default {d})")
    g.add_argument("--m", type=int, default=m, help=f"teacher width (default {m})")
    g.add_argument("--seed", type=int, default=0, help="seed of the generated instance (default 0)")
    g.add_argument("--noise", type=float, default=0.0, help="label noise standard deviation (default 0)")
    g.add_argument("--inputs", default="sphere", choices=INPUTS, help="input law (default sphere)")
    g.add_argument("--basis", default="random", choices=("random", "canonical"),
                   help="orthonormal teacher directions: random rotation or first basis vectors")


def load_data(args) -> Instance:
    if args.instance:
        return load_instance(args.instance)
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
    g.add_argument("--grid-size", type=int, default=default_size,
                   help=f"approximate number of grid directions (default {default_size})")
    g.add_argument("--grid-kind", default="auto", choices=("auto",) + GRID_KINDS,
                   help="auto = equiangular (d=2), fibonacci (d=3), cube (d>=4)")
    g.add_argument("--grid", metavar="FILE.npy", help="read the grid (unit vectors, shape (G, d)) from a file")
    g.add_argument("--grid-seed", type=int, default=0, help="seed of a random grid")
    g.add_argument("--oracle", action="store_true",
                   help="add the teacher's directions to the grid (reported as an ORACLE grid)")


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


def format_table(rows: list[list], header: list[str]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(h) for h in header]] + [[str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
