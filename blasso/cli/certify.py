"""``blasso certify``: conditions (10) over the whole sphere, sup |eta|, certified bracket (API: :func:`blasso.certify`)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from blasso.plotting import save_figure
from blasso.studies import api

from ._common import (OutputSpec, add_data_arguments, add_grid_arguments, api_defaults, float_type, grid_file,
                      load_data, publish_dir)

NAME = "certify"
HELP = "check the certificate conditions (10) rigorously over the sphere and bracket J*"
DEFAULTS = api_defaults(api.certify)

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
    p.set_defaults(grid_size=DEFAULTS["grid_size"])
    p._option_string_actions["--grid-size"].help = (
        "approximate number of grid directions of the auxiliary grid problem (default: clip(4n, 1000, 2000)"
        " in d <= 3, 2000 in d >= 4; the verdict on eta_V does not use the grid)")
    p.add_argument("--lam", type=float_type(minimum=0.0), default=None,
                   help="regularisation; 0 = basis pursuit / p_0 (default: instance's lam, else 0)")
    p.add_argument("--target", default=DEFAULTS["target"], choices=("teacher", "solution"),
                   help=f"measure whose conditions (10) are checked (default {DEFAULTS['target']})")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=DEFAULTS["time_budget"],
                   help="seconds for the whole check: conditions (10), the grid dual's sup, and the auxiliary"
                        " grid problem, which is skipped when its estimated time exceeds 0.3 x this (default "
                        f"{DEFAULTS['time_budget']:g})")
    p.add_argument("--tol", type=float_type(minimum=0.0), default=DEFAULTS["tol"],
                   help="certified needs sup|eta_V| <= 1 - tol L off the atom cells, L = (1/n) sum |p_i| |x_i|"
                        " (default blasso.certificates.verdict.CONDITIONS_TOL = 1e-12: next to an atom the sup is"
                        " cos w, w ~ 1/(7.5 n), so 1e-9 could not certify beyond n ~ 1e4)")
    p.add_argument("--merge-angle-deg", type=float_type(minimum=0.0, maximum=180.0),
                   default=DEFAULTS["merge_angle_deg"],
                   help="degrees: merge solution atoms closer than this (--target solution; default "
                        f"{DEFAULTS['merge_angle_deg']:.2f} = 0.1 rad)")
    p.add_argument("--merge-angle", type=_renamed_merge_angle, help=argparse.SUPPRESS)
    p.add_argument("--solver", default=DEFAULTS["solver"], type=str.upper, choices=("CLARABEL", "ECOS", "SCS"),
                   help=f"CVXPY solver of the grid problems (default {DEFAULTS['solver']}, not AUTO: certify solves "
                        "basis pursuit and the minimal-norm p_0 problem, which the FAST LASSO path does not)")
    p.add_argument("--ground-truth", default=DEFAULTS["ground_truth"], choices=api.CERTIFY_TRUTHS,
                   help="lam > 0: 'auto' (default) = 'colgen', the certified optimum by column generation over"
                        " activation cells (any d): its verified bracket is reported and --target solution is that"
                        " optimum; 'exact' enumerates every cell instead (refused over its budget); 'grid' uses the"
                        " grid solution only")
    p.add_argument("--population", action="store_true",
                   help="also the population (n -> infinity) certificate of the target, its margin curve next to"
                        " the sample's, and a sample-size estimate")
    p.add_argument("--population-budget", type=float_type(minimum=0.0, strict=True),
                   default=DEFAULTS["population_budget"],
                   help=f"seconds for the population certificate (default {DEFAULTS['population_budget']:g})")
    p.add_argument("--plot", metavar="DIR", help="write eta_V plots and the margin curve to DIR (needs matplotlib; DIR is created if"
                        " missing, its parent folder must exist)")


def outputs(args) -> list:
    return [OutputSpec("--plot", Path(args.plot), kind="dir", members=PLOT_FILES)] if args.plot else []


def _plots(out, res, directory) -> list:
    def write(staging):
        return [save_figure(fig, Path(staging) / name) for name, fig in res.figures().items()]

    paths = publish_dir(write, Path(directory))
    for p in paths:
        out.wrote("plot", p)
    if paths:
        out.info("plots: " + ", ".join(str(p) for p in paths))
    else:
        out.info(f"plots: none for d = {res.instance.d} (eta plots need d = 2 or 3, and there is no margin curve); "
                 f"{directory} not created")
    return [str(p) for p in paths]


def run(args, out) -> dict:
    inst = load_data(args)
    res = api.certify(inst, args.lam, target=args.target, grid=grid_file(args, inst), grid_size=args.grid_size,
                      grid_kind=args.grid_kind, seed=args.grid_seed, oracle=args.oracle, time_budget=args.time_budget,
                      tol=args.tol, merge_angle_deg=args.merge_angle_deg, solver=args.solver,
                      ground_truth=args.ground_truth, population=args.population,
                      population_budget=args.population_budget, progress=out.progress)
    out.print(res.summary())
    figures = res.to_dict()
    if args.plot:
        figures["plots"] = _plots(out, res, args.plot)
    return {"figures": figures, **res.report_sections()}
