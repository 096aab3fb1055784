"""``blasso solve``: the grid LASSO (discretised BLASSO) on an instance."""

from __future__ import annotations

import numpy as np

from blasso.studies.solve import exact_solution, solve_on_grid
from blasso.solvers import LASSO_SOLVERS

from ._common import (SOLVER_POLICY, add_data_arguments, add_grid_arguments, build_grid, float_type,
                      format_table, int_type, load_data, resolve_lam)

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
    p.add_argument("--exact", action="store_true",
                   help="also the continuous optimum with a certified bracket for J*: the finite convex program on"
                        " activation cells, by column generation priced by the rigorous sup (any d, no cell budget)")
    p.add_argument("--ground-truth", default="auto", choices=("auto", "colgen", "exact"),
                   help="--exact: auto = colgen (column generation, default), or exact = every cell enumerated (a"
                        " cross-check for small instances, refused over --max-cells)")
    p.add_argument("--max-cells", type=int_type(minimum=1), default=None,
                   help="budget of --ground-truth exact: most activation patterns (closed-form count, checked first;"
                        " default 60000 for d = 2, 3 and 5000 for d >= 4)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=300.0,
                   help="--exact: seconds for the column generation (default 300; the bracket reached is reported)")


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


def _exact_figures(ex) -> dict:
    u = ex.uniqueness or {}
    return {"J_upper": ex.J_upper, "J_lower": ex.J_lower, "width": ex.width, "rel_width": ex.rel_width,
            "n_atoms": len(ex.measure), "tv": ex.measure.tv, "n_cells": ex.cells["n_cells"],
            "cells_closed_form": ex.cells.get("closed_form"), "cells_method": ex.cells["method"],
            "rounds": len(ex.rounds), "polish": ex.polish, "sup": ex.sup, "unique": u.get("unique"),
            "exactly_m": u.get("exactly_m"), "uniqueness": u, "timings": ex.timings, "solver": ex.solver}


def _print_exact(out, ex, J_grid: float) -> None:
    u = ex.uniqueness or {}
    if ex.cells["method"] == "column generation":
        out.print(f"exact: column generation, {ex.cells['n_cells']} working cells (no enumeration), "
                  f"{len(ex.rounds)} rounds, {ex.timings['total_s']:.2f}s ({ex.cells['stopped']})")
    else:
        out.print(f"exact: {ex.cells['n_cells']} activation patterns ({ex.cells['method']}, closed form "
                  f"{ex.cells['closed_form']}), {len(ex.rounds)} column-generation rounds, {ex.timings['total_s']:.2f}s")
    out.print(f"exact: J* in [{ex.J_lower:.12g}, {ex.J_upper:.12g}] (relative width {ex.rel_width:.1e}; "
              f"sup |eta_p| <= {ex.sup['hi']:.12f}, {ex.sup['method']}); grid J - J* <= {J_grid - ex.J_lower:.3e}")
    verdict = ("unique, exactly" if u.get("exactly_m") else "unique, at most" if u.get("unique") else
               "uniqueness not proven:")
    out.print(f"exact: nu* has {len(ex.measure)} atoms (TV {ex.measure.tv:.6g}); {verdict} "
              + (f"{len(ex.measure)} atoms" if u.get("unique") else u.get("reason", "")))
    rows = [[k, f"{ex.measure.c[k]:+.6f}", np.array2string(ex.measure.theta[k], precision=4)]
            for k in range(min(len(ex.measure), 12))]
    out.print(format_table(rows, ["#", "c", "theta"]))


def run(args, out) -> dict:
    inst = load_data(args)
    lam = resolve_lam(args, inst)
    if args.exact and args.ground_truth == "exact":  # refuse over the budget before any work
        from blasso.solvers.exact import exact_affordable
        ok, bound, budget = exact_affordable(inst.X, args.max_cells)
        if not ok:
            from blasso.validation import BlassoInputError
            raise BlassoInputError(f"--exact refused: up to {bound:,} activation patterns (cells) for n = {inst.n}, "
                                   f"d = {inst.d}, over the budget of {budget:,} (--max-cells)")
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
    measures, status, solvers = {"solution": nu}, {"grid LASSO": res.status}, [res.solver]
    if args.exact:
        ex = exact_solution(inst, lam, method=args.ground_truth, max_cells=args.max_cells,
                            time_budget=args.time_budget, start=nu, progress=out.progress)
        _print_exact(out, ex, res.objective)
        figures["ground_truth"] = "exact" if args.ground_truth == "exact" else "colgen"
        figures["exact"] = _exact_figures(ex)
        measures["exact"] = ex.measure
        status["exact program"] = ex.info.get("status", "optimal")
        solvers.append(f"exact ({ex.solver})")
    return {"figures": figures, "measures": measures, "solver_status": status,
            "solvers": solvers, "sizes": inst.sizes(), "seeds": {"instance_seed": inst.seed}}
