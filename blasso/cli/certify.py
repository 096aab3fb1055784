"""``blasso certify``: conditions (10) over the whole sphere, sup |eta|, certified bracket."""

from __future__ import annotations

import numpy as np

from ._common import add_data_arguments, add_grid_arguments, build_grid, format_table, load_data, resolve_lam

NAME = "certify"
HELP = "check the certificate conditions (10) rigorously over the sphere and bracket J*"


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p, default_size=2000)
    p.add_argument("--lam", type=float, default=None,
                   help="regularisation; 0 = basis pursuit / p_0 (default: instance's lam, else 0)")
    p.add_argument("--target", default="teacher", choices=("teacher", "solution"),
                   help="measure whose conditions (10) are checked (default teacher)")
    p.add_argument("--time-budget", type=float, default=60.0,
                   help="seconds for the rigorous sup computations (default 60)")
    p.add_argument("--tol", type=float, default=1e-9,
                   help="certified needs sup|eta_V| <= 1 - tol off the atom cells (default 1e-9)")
    p.add_argument("--merge-angle", type=float, default=0.1,
                   help="radians: merge solution atoms closer than this (--target solution)")
    p.add_argument("--solver", default="CLARABEL", type=str.upper, choices=("CLARABEL", "ECOS", "SCS"),
                   help="CVXPY solver for the grid problems (default CLARABEL)")
    p.add_argument("--plot", metavar="DIR", help="write eta_V plots and the margin curve to DIR (needs matplotlib)")


def run(args, out) -> dict:
    from certificates.verdict import certify_instance

    inst = load_data(args)
    lam = resolve_lam(args, inst, allow_zero=True, default=0.0)
    grid = build_grid(args, inst)
    rep = certify_instance(inst, lam=lam, target=args.target, grid=grid, time_budget=args.time_budget,
                           tol=args.tol, seed=args.grid_seed, solver=args.solver,
                           merge_angle=args.merge_angle, progress=out.progress)
    out.print(f"n={inst.n} d={inst.d} lam={lam:g}  {grid.describe()}")
    out.print(format_table(rep.table_rows(), ["quantity", "value"]))
    out.print(f"reason: {rep.reason}")
    curve = rep.conditions.curve
    if curve:
        rows = [[f"{c['r']:.3g}", f"{c['margin_lo']:.3e}", f"{c['margin_hi']:.3e}"] for c in curve]
        out.print("margin curve 1 - max|eta_V| outside balls of radius r (rad) around the support:")
        out.print(format_table(rows, ["r", "margin >=", "margin <="]))
    report = {**inst.sizes(), **rep.to_dict()}
    if args.plot:
        from certificates.plot import plot_report

        paths = plot_report(rep, inst.X, args.plot)
        out.info("plots: " + ", ".join(str(p) for p in paths))
        report["plots"] = [str(p) for p in paths]
    if report.get("violating_theta") is not None:
        report["violating_theta"] = np.asarray(report["violating_theta"]).tolist()
    return report
