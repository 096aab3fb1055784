"""``blasso solve``: the grid LASSO (discretised BLASSO) on an instance."""

from __future__ import annotations

import numpy as np

from blasso.studies.solve import solve_on_grid
from solvers import LASSO_SOLVERS

from ._common import (SOLVER_POLICY, add_data_arguments, add_grid_arguments, build_grid, float_type,
                      format_table, load_data, resolve_lam)

NAME = "solve"
HELP = "solve the grid LASSO (discretised BLASSO) with CVXPY or the fast path"


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p)
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=None,
                   help="regularisation (default: instance's, else 1e-3)")
    p.add_argument("--solver", default="AUTO", type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver ({SOLVER_POLICY})")
    p.add_argument("--allow-inaccurate", action="store_true",
                   help="report an 'optimal_inaccurate' solve (flagged) instead of failing")


def _notes(res, cov) -> list[str]:
    """What the solver and the diagnostics decided on their own (zero measure, dropped weights, capped probes)."""
    notes = []
    if "zero_reason" in res.info:
        notes.append(f"zero measure: {res.info['zero_reason']}")
    drop = res.info.get("support", {})
    if drop.get("dropped_atoms"):
        notes.append(f"{drop['dropped_atoms']} weights <= {drop['threshold']:.2e} (TV {drop['dropped_tv']:.2e}) "
                     "are below the solver's accuracy and not reported as atoms")
    if cov.get("capped") or cov.get("skipped"):
        notes.append(f"covering radius: {cov['method']}")
    return notes


def _print(out, grid, sol) -> None:
    res, nu, cov = sol["result"], sol["measure"], sol["covering"]
    radius = ("not estimated (see below)" if cov.get("skipped") else
              f"{'=' if cov['exact'] else '>='} {np.degrees(cov['radius']):.2f} deg")
    out.print(f"grid: {grid.describe()}, covering radius {radius}")
    out.print(f"status {res.status}  J = {res.objective:.10g}  TV = {nu.tv:.6g}  atoms = {len(nu)}  "
              f"solver {res.solver}  {res.wall_s:.2f}s")
    for note in _notes(res, cov):
        out.print(note)
    if res.p_multiplier is not None:
        out.print(f"p from residual vs CVXPY multiplier: max rel. difference {res.p_mismatch:.2e}")
    out.print(f"grid duality gap (exact, from p): {res.grid_rel_gap:.2e} relative")
    rows = [[k, f"{nu.c[k]:+.5f}", np.array2string(nu.theta[k], precision=3)] for k in range(min(len(nu), 12))]
    out.print(format_table(rows, ["#", "c", "theta"]))
    if len(nu) > 12:
        out.print(f"... {len(nu) - 12} more atoms (see --json)")


def run(args, out) -> dict:
    inst = load_data(args)
    lam = resolve_lam(args, inst)
    grid = build_grid(args, inst)
    sol = solve_on_grid(inst, lam, grid, solver=args.solver, allow_inaccurate=args.allow_inaccurate,
                        progress=out.progress)
    _print(out, grid, sol)
    res, nu, cov = sol["result"], sol["measure"], sol["covering"]
    figures = {"lam": lam, "grid_size": grid.size, "grid_kind": grid.kind, "oracle_grid": grid.oracle,
               "covering_radius": cov["radius"], "covering_radius_exact": cov["exact"],
               "objective": res.objective, "grid_rel_gap": res.grid_rel_gap,
               "solver_objective": res.solver_objective, "tv": nu.tv, "p": res.p, "p_mismatch": res.p_mismatch,
               "solver": res.solver, "solve_wall_s": res.wall_s, "n_atoms": len(nu),
               "lam_max": res.info.get("lam_max"), "zero_reason": res.info.get("zero_reason"),
               "support": res.info.get("support"), "covering_radius_method": cov["method"]}
    return {"figures": figures, "measures": {"solution": nu}, "solver_status": {"grid LASSO": res.status},
            "solvers": [res.solver], "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
