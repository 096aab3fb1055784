"""``blasso solve``: the grid LASSO (discretised BLASSO) on an instance (API: :func:`blasso.solve`)."""

from __future__ import annotations

from blasso.solvers import LASSO_SOLVERS
from blasso.studies import api

from ._common import (SOLVER_POLICY, add_data_arguments, add_grid_arguments, api_defaults, float_type, grid_file,
                      grid_options, int_type, load_data)

NAME = "solve"
HELP = "solve the grid LASSO (discretised BLASSO) with CVXPY or the fast path"
DEFAULTS = api_defaults(api.solve)


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p, default_size=DEFAULTS["grid_size"])
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help=f"regularisation (default: instance's, else {api.DEFAULT_LAM:g})")
    p.add_argument("--solver", default=DEFAULTS["solver"], type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver ({SOLVER_POLICY})")
    p.add_argument("--allow-inaccurate", action="store_true",
                   help="report an 'optimal_inaccurate' solve (flagged) instead of failing")
    p.add_argument("--exact", action="store_true",
                   help="also the continuous optimum with a certified bracket for J*: the finite convex program on"
                        " activation cells, by column generation priced by the rigorous sup (any d, no cell budget)")
    p.add_argument("--ground-truth", default=DEFAULTS["ground_truth"], choices=api.GRID_TRUTHS,
                   help="--exact: auto = colgen (column generation, default), or exact = every cell enumerated (a"
                        " cross-check for small instances, refused over --max-cells)")
    p.add_argument("--max-cells", type=int_type(minimum=1), default=DEFAULTS["max_cells"],
                   help="budget of --ground-truth exact: most activation patterns (closed-form count, checked first;"
                        " default 60000 for d = 2, 3 and 5000 for d >= 4)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=DEFAULTS["time_budget"],
                   help=f"--exact: seconds for the column generation (default {DEFAULTS['time_budget']:g}; the"
                        " bracket reached is reported)")


def run(args, out) -> dict:
    inst = load_data(args)
    res = api.solve(inst, args.lam, grid=grid_file(args, inst), grid_seed=args.grid_seed, **grid_options(args),
                    solver=args.solver, allow_inaccurate=args.allow_inaccurate, exact=args.exact,
                    ground_truth=args.ground_truth, max_cells=args.max_cells, time_budget=args.time_budget,
                    progress=out.progress)
    out.print(res.summary())
    return {"figures": res.to_dict(), **res.report_sections()}
