"""``blasso compare``: GD's measure against the convex ground truth (objective gap, supports, distance)."""

from __future__ import annotations

import numpy as np

from blasso.solvers import LASSO_SOLVERS
from blasso.studies.compare import Tolerances, gd_vs_convex
from blasso.studies.ground_truth import GROUND_TRUTH_MODES

from ._common import add_data_arguments, add_grid_arguments, build_grid, float_type, format_table, int_type, load_data, resolve_lam
from .gd import add_gd_arguments, progress_callback

NAME = "compare"
HELP = "run Algorithm 1 and compare its measure with the certified convex optimum"


def add_arguments(p) -> None:
    add_data_arguments(p)
    add_grid_arguments(p, default_size=10000)
    add_gd_arguments(p, iters=1_000_000, ftol=1e-9)
    nonneg = float_type(minimum=0.0)
    p.add_argument("--gap-target", type=nonneg, default=1e-4,
                   help="stop GD once J <= J_convex (1 + gap-target) (default 1e-4)")
    p.add_argument("--solver", default="FAST", type=str.upper, choices=LASSO_SOLVERS,
                   help="grid LASSO solver of the convex reference (default FAST, not AUTO: the exchange rounds "
                        "re-solve the LASSO on the grid plus every added atom many times, and FAST is exact to a "
                        "1e-10 relative duality gap at any size)")
    p.add_argument("--refine-rounds", type=int_type(minimum=0), default=8,
                   help="--ground-truth exchange: refine / re-solve / exchange rounds (default 8)")
    p.add_argument("--no-certify", action="store_true",
                   help="--ground-truth exchange: skip the rigorous sphere-wide sup of |eta_p| (no certified lower"
                        " bound on J*, no exchange of violating directions)")
    p.add_argument("--sup-budget", type=nonneg, default=20.0,
                   help="seconds of each rigorous sup of |eta_p| over the sphere (column generation: at least 30;"
                        " exchange rounds: per round; default 20)")
    p.add_argument("--ground-truth", choices=GROUND_TRUTH_MODES, default="auto",
                   help="convex reference: the certified optimum by column generation over activation cells, any d"
                        " (auto = colgen, default), the same program with every cell enumerated (exact; refused"
                        " over its cell budget; a cross-check for small instances) or the exchange rounds (exchange)")
    t = p.add_argument_group("verdict tolerances")
    d = Tolerances()
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


def tolerances_from_args(args) -> Tolerances:
    return Tolerances(gap_rtol=args.gap_rtol, gap_fail_rtol=args.gap_fail_rtol, dist_rtol=args.dist_rtol,
                      dist_fail_rtol=args.dist_fail_rtol, mass_rtol=args.mass_rtol,
                      match_angle=float(np.radians(args.match_angle_deg)),
                      merge_angle=float(np.radians(args.merge_angle_deg)))


def _print(out, args, rep, ref) -> None:
    gd, cv = rep["gd"], rep["convex"]
    oracle = " (ORACLE grid: teacher atoms added)" if cv.get("oracle_grid") else ""
    how = ("exact finite program over every activation pattern" if cv.get("ground_truth") == "exact"
           else "after refinement and exchange rounds")
    grid_j = "n/a" if cv.get("J_grid") is None else f"{cv['J_grid']:.10g}"
    out.print(f"convex reference{oracle} (ground truth: {cv.get('ground_truth', 'given')}): grid J = {grid_j} "
              f"({cv.get('grid')}), {how} J_convex = {rep['J_convex']:.10g} (an upper bound on J*), {len(ref)} atoms")
    out.print(f"GD: {'Algorithm 1' if args.step == 'norm' else 'plain GD'} {args.penalty}, M={args.M}, "
              f"alpha={gd['alpha']:g}, seed {gd['seed']}: {gd['n_iter']} iterations ({gd['stop_reason']}) in "
              f"{gd['wall_s']:.1f}s; J_gd = {rep['J_gd']:.10g}, {gd['active_units']} active units")
    if cv.get("J_lower") is not None:
        out.print(f"certified bracket: {cv['J_lower']:.10g} <= J* <= {rep['J_convex']:.10g} "
                  f"(relative width {(rep['J_convex'] - cv['J_lower']) / rep['J_convex']:.2e}; rigorous sup of "
                  "|eta_p| over the sphere)")
    out.print(f"remaining gap J_gd - J_convex = {rep['objective_gap']:.4g} "
              f"(relative {rep['objective_gap_rel']:.3e}; target {args.gap_target:g})"
              + (f"; J_gd - J* <= {rep['objective_gap_upper']:.4g} (relative "
                 f"{rep['objective_gap_upper'] / rep['J_convex']:.3e})" if "objective_gap_upper" in rep else ""))
    rows = [[m["gd"], m["convex"], f"{np.degrees(m['angle']):.3f}", f"{m['c_gd']:+.5f}", f"{m['c_convex']:+.5f}"]
            for m in rep["matched"]]
    if rows:
        out.print(format_table(rows, ["gd atom", "convex atom", "angle deg", "c_gd", "c_convex"]))
    out.print(f"matched {rep['n_matched']} of {rep['n_atoms_gd']} GD / {rep['n_atoms_convex']} convex atoms; "
              f"unmatched mass {rep['unmatched_mass']:.4g} ({rep['unmatched_mass_rel']:.3f} TV); "
              f"flat distance {rep['distance']:.4g} ({rep['distance_rel']:.3f} TV); "
              f"held-out prediction error {rep['prediction_rel_error']:.3e} (relative RMS)")
    out.print(f"verdict: {rep['verdict']} -- " + "; ".join(rep["reasons"]))


def run(args, out) -> dict:
    inst = load_data(args)
    lam = resolve_lam(args, inst)
    tol = tolerances_from_args(args)
    grid = build_grid(args, inst)
    seed = args.seed if args.init_seed is None else args.init_seed
    rep = gd_vs_convex(inst.X, inst.y, lam, args.M, grid=grid, penalty=args.penalty, step=args.step,
                       alpha=args.alpha, seed=seed, max_iter=args.iters, gap_target=args.gap_target,
                       ftol=args.ftol, check_every=args.check_every, lasso_solver=args.solver,
                       refine_rounds=args.refine_rounds, certify=not args.no_certify, sup_budget=args.sup_budget,
                       tol=tol, callback=progress_callback(out), progress=out.progress,
                       exact=args.ground_truth)
    gd_res = rep.pop("_gd_result")
    ref = rep.pop("_ref_measure")
    _print(out, args, rep, ref)
    rep["lam"] = lam
    solver = rep["convex"].get("solver")
    return {"figures": rep, "measures": {"gd": gd_res.measure(), "convex": ref},
            "solver_status": {}, "solvers": [solver] if solver else [],
            "sizes": {**inst.sizes(), "M": args.M, "grid_size": grid.size},
            "seeds": {"init_seed": seed, "instance_seed": inst.seed}}
