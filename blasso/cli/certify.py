"""``blasso certify``: conditions (10) over the whole sphere, sup |eta|, certified bracket."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from ._common import (OutputSpec, add_data_arguments, add_grid_arguments, build_grid, float_type, format_table,
                      load_data, publish_dir, resolve_lam)

NAME = "certify"
HELP = "check the certificate conditions (10) rigorously over the sphere and bracket J*"

#: Files ``blasso.certificates.plot.plot_report`` may write (which ones depends on d).
PLOT_FILES = ("eta_circle.png", "eta_V_sphere.png", "margin_curve.png")


def _renamed_merge_angle(text: str):
    """The old radian option: refuse it with the conversion instead of guessing the unit."""
    try:
        hint = f" ({float(text):g} rad = --merge-angle-deg {math.degrees(float(text)):.4g})"
    except ValueError:
        hint = ""
    raise argparse.ArgumentTypeError(f"renamed to --merge-angle-deg (degrees); got {text!r}{hint}")


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p, default_size=2000)
    # certify's own rule (blasso.certificates.verdict.default_grid_size): the verdict never uses the grid
    p.set_defaults(grid_size=None)
    p._option_string_actions["--grid-size"].help = (
        "approximate number of grid directions of the auxiliary grid problem (default: clip(4n, 1000, 2000)"
        " in d <= 3, 2000 in d >= 4; the verdict on eta_V does not use the grid)")
    p.add_argument("--lam", type=float_type(minimum=0.0), default=None,
                   help="regularisation; 0 = basis pursuit / p_0 (default: instance's lam, else 0)")
    p.add_argument("--target", default="teacher", choices=("teacher", "solution"),
                   help="measure whose conditions (10) are checked (default teacher)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=60.0,
                   help="seconds for the whole check: conditions (10), the grid dual's sup, and the auxiliary"
                        " grid problem, which is skipped when its estimated time exceeds 0.3 x this (default 60)")
    p.add_argument("--tol", type=float_type(minimum=0.0), default=None,
                   help="certified needs sup|eta_V| <= 1 - tol L off the atom cells, L = (1/n) sum |p_i| |x_i|"
                        " (default blasso.certificates.verdict.CONDITIONS_TOL = 1e-12: next to an atom the sup is"
                        " cos w, w ~ 1/(7.5 n), so 1e-9 could not certify beyond n ~ 1e4)")
    p.add_argument("--merge-angle-deg", type=float_type(minimum=0.0, maximum=180.0),
                   default=float(np.degrees(0.1)),
                   help="degrees: merge solution atoms closer than this (--target solution; default 5.73 = 0.1 rad)")
    p.add_argument("--merge-angle", type=_renamed_merge_angle, help=argparse.SUPPRESS)
    p.add_argument("--solver", default="CLARABEL", type=str.upper, choices=("CLARABEL", "ECOS", "SCS"),
                   help="CVXPY solver of the grid problems (default CLARABEL, not AUTO: certify solves basis "
                        "pursuit and the minimal-norm p_0 problem, which the FAST LASSO path does not)")
    p.add_argument("--ground-truth", default="auto", choices=("auto", "exact", "grid"),
                   help="lam > 0: 'auto' (default) solves the exact finite program when d <= 3 and the cell count"
                        " is within budget: its verified bracket is reported and --target solution is the exact"
                        " optimum; 'exact' requires it; 'grid' uses the grid solution only")
    p.add_argument("--population", action="store_true",
                   help="also the population (n -> infinity) certificate of the target, its margin curve next to"
                        " the sample's, and a sample-size estimate")
    p.add_argument("--population-budget", type=float_type(minimum=0.0, strict=True), default=60.0,
                   help="seconds for the population certificate (default 60)")
    p.add_argument("--plot", metavar="DIR", help="write eta_V plots and the margin curve to DIR (needs matplotlib; DIR is created if"
                        " missing, its parent folder must exist)")


def outputs(args) -> list:
    return [OutputSpec("--plot", Path(args.plot), kind="dir", members=PLOT_FILES)] if args.plot else []


def _plots(out, rep, X, directory) -> list:
    from blasso.certificates.plot import plot_report

    paths = publish_dir(lambda staging: plot_report(rep, X, staging), Path(directory))
    for p in paths:
        out.wrote("plot", p)
    if paths:
        out.info("plots: " + ", ".join(str(p) for p in paths))
    else:
        out.info(f"plots: none for d = {X.shape[1]} (eta plots need d = 2 or 3, and there is no margin curve); "
                 f"{directory} not created")
    return [str(p) for p in paths]


def _print_population(out, n, popc) -> None:
    pop = popc["population"]
    f = (lambda v: "-" if v is None else f"{v:.6f}")
    out.print(f"population (n -> infinity) certificate: {pop['verdict']}: {pop['reason']}")
    rows = [[f"{r:g}", f(a), f(b), f(c), f(d)] for r, a, b, c, d in popc["rows"]]
    out.print(f"max |eta_V| outside balls of radius r (deg) around the support: sample (n = {n}) vs population")
    out.print(format_table(rows, ["r deg", "sample >=", "sample <=", "population >=", "population <="]))
    out.print(f"reading: {popc['reading']}")


def run(args, out) -> dict:
    from blasso.studies.population import POPULATION_RADII_DEG, sample_vs_population
    from blasso.certificates.verdict import CONDITIONS_TOL, certify_instance, default_grid_size

    inst = load_data(args)
    lam = resolve_lam(args, inst, allow_zero=True, default=0.0)
    if args.grid_size is None:
        args.grid_size = default_grid_size(inst.n, inst.d)
    grid = build_grid(args, inst)
    extra = {"radii": tuple(math.radians(r) for r in POPULATION_RADII_DEG)} if args.population else {}
    rep = certify_instance(inst, lam=lam, target=args.target, grid=grid, time_budget=args.time_budget,
                           tol=CONDITIONS_TOL if args.tol is None else args.tol, seed=args.grid_seed, solver=args.solver,
                           merge_angle=math.radians(args.merge_angle_deg), ground_truth=args.ground_truth,
                           progress=out.progress, **extra)
    out.print(f"n={inst.n} d={inst.d} lam={lam:g}  {grid.describe()}")
    out.print(format_table(rep.table_rows(), ["quantity", "value"]))
    out.print(f"reason: {rep.reason}")
    for name, part in rep.parts.items():
        if part.get("status") != "ok":
            out.print(f"{name}: {part['status']}: {part.get('reason', '')}")
    curve = rep.conditions.curve
    if curve:
        rows = [[f"{math.degrees(c['r']):.3g}", f"{c['margin_lo']:.3e}", f"{c['margin_hi']:.3e}"] for c in curve]
        out.print("margin curve 1 - max|eta_V| outside balls of radius r around the support (JSON: r in radians):")
        out.print(format_table(rows, ["r deg", "margin >=", "margin <="]))
    figures = {"lam": lam, **rep.to_dict()}
    if args.population:
        out.progress("population certificate (n -> infinity) ...")
        popc = sample_vs_population(inst.n, rep.target, rep.conditions, time_budget=args.population_budget,
                                    seed=args.grid_seed)
        _print_population(out, inst.n, popc)
        figures["population"] = {**popc["population"], "sample_vs_population": popc["rows"],
                                 "reading": popc["reading"], "n_estimate": popc["n_estimate"]}
    if args.plot:
        figures["plots"] = _plots(out, rep, inst.X, args.plot)
    if figures.get("violating_theta") is not None:
        figures["violating_theta"] = np.asarray(figures["violating_theta"]).tolist()
    status = {f"{name} part": str(part.get("status")) for name, part in rep.parts.items() if isinstance(part, dict)}
    return {"figures": figures, "measures": {"target": rep.target}, "solver_status": status, "sizes": {**inst.sizes(), "grid_size": grid.size},
            "solvers": [args.solver], "seeds": {"instance_seed": inst.seed}}
