"""``blasso solve``: the grid LASSO through CVXPY on an instance."""

from __future__ import annotations

import numpy as np

from blasso.sphere import covering_radius
from solvers import LASSO_SOLVERS, choose_solver, solve_lasso
from solvers.lasso_cvxpy import DEFAULT_SOLVER

from ._common import add_data_arguments, add_grid_arguments, build_grid, format_table, load_data, resolve_lam

NAME = "solve"
HELP = "solve the grid LASSO (discretised BLASSO) with CVXPY or the fast path"


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p)
    p.add_argument("--lam", type=float, default=None, help="regularisation (default: instance's, else 1e-3)")
    p.add_argument("--solver", default=DEFAULT_SOLVER, type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver (default {DEFAULT_SOLVER}; AUTO picks FAST on large grids)")
    p.add_argument("--allow-inaccurate", action="store_true",
                   help="report an 'optimal_inaccurate' solve (flagged) instead of failing")


def run(args, out) -> dict:
    inst = load_data(args)
    lam = resolve_lam(args, inst)
    grid = build_grid(args, inst)
    solver = choose_solver(args.solver, grid.size)
    out.progress(f"{grid.describe()}; n={inst.n}, lam={lam:g}; solving with {solver} ...")
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=solver, allow_inaccurate=args.allow_inaccurate)
    out.progress(f"{res.solver} status {res.status} in {res.wall_s:.2f}s")
    nu = res.measure().sorted()
    cov = covering_radius(grid.theta, n_probe=5000, rng=0)
    out.print(f"grid: {grid.describe()}, covering radius {'=' if cov['exact'] else '>='} "
              f"{np.degrees(cov['radius']):.2f} deg")
    out.print(f"status {res.status}  J = {res.objective:.10g}  TV = {nu.tv:.6g}  atoms = {len(nu)}  "
              f"solver {res.solver}  {res.wall_s:.2f}s")
    if res.p_multiplier is not None:
        out.print(f"p from residual vs CVXPY multiplier: max rel. difference {res.p_mismatch:.2e}")
    out.print(f"grid duality gap (exact, from p): {res.grid_rel_gap:.2e} relative")
    rows = [[k, f"{nu.c[k]:+.5f}", np.array2string(nu.theta[k], precision=3)] for k in range(min(len(nu), 12))]
    out.print(format_table(rows, ["#", "c", "theta"]))
    if len(nu) > 12:
        out.print(f"... {len(nu) - 12} more atoms (see --json)")
    return {
        **inst.sizes(), "lam": lam, "grid_size": grid.size, "grid_kind": grid.kind, "oracle_grid": grid.oracle,
        "covering_radius": cov["radius"], "covering_radius_exact": cov["exact"],
        "objective": res.objective, "grid_rel_gap": res.grid_rel_gap, "solver_objective": res.solver_objective, "tv": nu.tv,
        "theta": nu.theta, "c": nu.c, "p": res.p, "p_mismatch": res.p_mismatch,
        "status": res.status, "solver": res.solver, "solve_wall_s": res.wall_s, "n_atoms": len(nu),
    }
