"""``blasso compare``: GD's measure against the convex ground truth (API: :func:`blasso.compare`)."""

from __future__ import annotations

import numpy as np

from blasso.solvers import LASSO_SOLVERS
from blasso.studies import api

from ._common import (add_data_arguments, add_grid_arguments, api_defaults, float_type, grid_file, grid_options,
                      int_type, load_data)
from .gd import add_gd_arguments, init_seed, progress_callback

NAME = "compare"
HELP = "run Algorithm 1 and compare its measure with the certified convex optimum"
DEFAULTS = api_defaults(api.compare)


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p, default_size=DEFAULTS["grid_size"])
    add_gd_arguments(p, api.compare)
    nonneg = float_type(minimum=0.0)
    p.add_argument("--gap-target", type=nonneg, default=DEFAULTS["gap_target"],
                   help=f"stop GD once J <= J_convex (1 + gap-target) (default {DEFAULTS['gap_target']:g})")
    p.add_argument("--solver", default=DEFAULTS["solver"], type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver of the convex reference (default {DEFAULTS['solver']}, not AUTO: the "
                        "exchange rounds re-solve the LASSO on the grid plus every added atom many times, and FAST is"
                        " exact to a 1e-10 relative duality gap at any size)")
    p.add_argument("--refine-rounds", type=int_type(minimum=0), default=DEFAULTS["refine_rounds"],
                   help=f"--ground-truth exchange: refine / re-solve / exchange rounds (default "
                        f"{DEFAULTS['refine_rounds']})")
    p.add_argument("--no-certify", action="store_true",
                   help="--ground-truth exchange: skip the rigorous sphere-wide sup of |eta_p| (no certified lower"
                        " bound on J*, no exchange of violating directions)")
    p.add_argument("--sup-budget", type=nonneg, default=DEFAULTS["sup_budget"],
                   help="seconds of each rigorous sup of |eta_p| over the sphere (column generation: at least 30;"
                        f" exchange rounds: per round; default {DEFAULTS['sup_budget']:g})")
    p.add_argument("--ground-truth", choices=api.GROUND_TRUTH_MODES, default=DEFAULTS["ground_truth"],
                   help="convex reference: the certified optimum by column generation over activation cells, any d"
                        " (auto = colgen, default), the same program with every cell enumerated (exact; refused"
                        " over its cell budget; a cross-check for small instances) or the exchange rounds (exchange)")
    t = p.add_argument_group("verdict tolerances")
    d = api.Tolerances()
    t.add_argument("--gap-rtol", type=nonneg, default=d.gap_rtol, help=f"same-measure relative gap (default {d.gap_rtol:g})")
    t.add_argument("--gap-fail-rtol", type=nonneg, default=d.gap_fail_rtol,
                   help=f"different-measure relative gap (default {d.gap_fail_rtol:g})")
    t.add_argument("--dist-rtol", type=nonneg, default=d.dist_rtol,
                   help=f"same-measure flat distance / TV (default {d.dist_rtol:g})")
    t.add_argument("--dist-fail-rtol", type=nonneg, default=d.dist_fail_rtol,
                   help=f"different-measure flat distance / TV (default {d.dist_fail_rtol:g})")
    t.add_argument("--mass-rtol", type=nonneg, default=d.mass_rtol,
                   help=f"same-measure unmatched mass / TV (default {d.mass_rtol:g})")
    angle = float_type(minimum=0.0, maximum=180.0)
    t.add_argument("--match-angle-deg", type=angle, default=float(np.degrees(d.match_angle)),
                   help=f"largest angle of a matched pair, degrees (default {np.degrees(d.match_angle):.2f})")
    t.add_argument("--merge-angle-deg", type=angle, default=float(np.degrees(d.merge_angle)),
                   help=f"atoms closer than this merge before matching, degrees (default {np.degrees(d.merge_angle):.2f})")


def _radians(deg: float, default_rad: float) -> float:
    """Degrees to radians, the default exactly (np.radians(np.degrees(0.1)) is 0.10000000000000002)."""
    return default_rad if deg == float(np.degrees(default_rad)) else float(np.radians(deg))


def tolerances_from_args(args) -> api.Tolerances:
    d = api.Tolerances()
    return api.Tolerances(gap_rtol=args.gap_rtol, gap_fail_rtol=args.gap_fail_rtol, dist_rtol=args.dist_rtol,
                          dist_fail_rtol=args.dist_fail_rtol, mass_rtol=args.mass_rtol,
                          match_angle=_radians(args.match_angle_deg, d.match_angle),
                          merge_angle=_radians(args.merge_angle_deg, d.merge_angle))


def run(args, out) -> dict:
    inst = load_data(args)
    res = api.compare(inst, args.lam, args.M, grid=grid_file(args, inst), grid_seed=args.grid_seed,
                      **grid_options(args), penalty=args.penalty, step=args.step, alpha=args.alpha,
                      seed=init_seed(args), iters=args.iters, gap_target=args.gap_target, ftol=args.ftol,
                      check_every=args.check_every, solver=args.solver, refine_rounds=args.refine_rounds,
                      certify=not args.no_certify, sup_budget=args.sup_budget, ground_truth=args.ground_truth,
                      tolerances=tolerances_from_args(args), callback=progress_callback(out), progress=out.progress)
    out.print(res.summary())
    return {"figures": res.to_dict(), **res.report_sections()}
