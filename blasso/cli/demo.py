"""``blasso demo``: the paper's Fig. 2 instance end to end (API: :func:`blasso.demo`)."""

from __future__ import annotations

from blasso.solvers import LASSO_SOLVERS
from blasso.studies import api

from ._common import SOLVER_POLICY, api_defaults, float_type, int_type, seed_type

NAME = "demo"
HELP = "run the paper's Fig. 2 instance (m=d=5, n=100) end to end: grid LASSO, oracle grid, certificate checks"
DEFAULTS = api_defaults(api.demo)


def add_arguments(p) -> None:
    p.add_argument("--seed", type=seed_type, default=DEFAULTS["seed"],
                   help=f"instance seed (default {DEFAULTS['seed']})")
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=DEFAULTS["lam"],
                   help=f"regularisation (default {DEFAULTS['lam']:g})")
    p.add_argument("--grid-size", type=int_type(), default=DEFAULTS["grid_size"],
                   help=f"approximate grid size (default {DEFAULTS['grid_size']})")
    p.add_argument("--solver", default=DEFAULTS["solver"], type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver ({SOLVER_POLICY}; the certificate's grid problems use CLARABEL)")
    p.add_argument("--n-random", type=int_type(), default=DEFAULTS["n_random"],
                   help=f"random directions for the sampled check of |eta| (default {DEFAULTS['n_random']})")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=DEFAULTS["time_budget"],
                   help=f"seconds for the rigorous sphere-wide sups (default {DEFAULTS['time_budget']:g})")


def run(args, out) -> dict:
    res = api.demo(seed=args.seed, lam=args.lam, grid_size=args.grid_size, solver=args.solver,
                   n_random=args.n_random, time_budget=args.time_budget, progress=out.progress)
    out.print(res.summary())
    return {"figures": res.to_dict(), **res.report_sections()}
