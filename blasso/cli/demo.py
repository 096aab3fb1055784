"""``blasso demo``: the paper's Fig. 2 instance end to end.

Teacher of Assumption 3.2 (m = d = 5, orthonormal directions, weights 1),
n = 100 inputs uniform on S^4, noiseless labels; the grid LASSO on a plain
grid and on the oracle grid (grid + teacher atoms); grid KKT, gap and a
sampled sphere-wide check of the dual certificate; then the rigorous
certificate verdict (conditions (10) for the teacher through eta_V, the
sphere-wide sup of the grid dual, and the certified bracket for J*).
"""

from __future__ import annotations

import numpy as np

from blasso.instance import make_instance
from blasso.measure import cluster_to_targets
from blasso.sphere import add_atoms, covering_radius, make_grid
from blasso.validation import check_lam
from certificates import certify_instance, grid_certificate
from solvers import LASSO_SOLVERS, choose_solver, solve_lasso

from ._common import format_table

NAME = "demo"
HELP = "run the paper's Fig. 2 instance (m=d=5, n=100) end to end: grid LASSO, oracle grid, certificate checks"


def add_arguments(p) -> None:
    p.add_argument("--seed", type=int, default=0, help="instance seed (default 0)")
    p.add_argument("--lam", type=float, default=1e-3, help="regularisation (default 1e-3)")
    p.add_argument("--grid-size", type=int, default=10000, help="approximate grid size (default 10000)")
    p.add_argument("--solver", default="AUTO", type=str.upper, choices=LASSO_SOLVERS,
                   help="grid LASSO solver (default AUTO: ECOS on small grids)")
    p.add_argument("--n-random", type=int, default=200000,
                   help="random directions for the sampled check of |eta| (default 200000)")
    p.add_argument("--time-budget", type=float, default=60.0,
                   help="seconds for the rigorous sphere-wide sups (default 60)")


def _solve_and_check(label, inst, lam, grid, solver, n_random, out):
    out.progress(f"{label}: {grid.describe()}; solving the grid LASSO with {solver} ...")
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=solver)
    out.progress(f"{label}: {res.solver} {res.status} in {res.wall_s:.2f}s; checking |eta| on "
                 f"the grid and {n_random} random directions ...")
    cert = grid_certificate(res, inst.X, inst.y, n_random=n_random, rng=1)
    return res, cert


def run(args, out) -> dict:
    lam = check_lam(args.lam)
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=args.seed, lam=lam)
    teacher = inst.teacher_measure()
    out.print(f"Paper's Fig. 2 instance: teacher m={inst.m} (orthonormal, a°=1), d={inst.d}, n={inst.n} "
              f"uniform on the sphere, noiseless, seed={args.seed}, lam={lam:g}")
    out.print(f"J(teacher) = lam * TV = {lam * teacher.tv:.6g} (an upper bound on J*)")

    base = make_grid("auto", args.grid_size, inst.d)
    grids = [("plain grid", base), ("oracle grid", add_atoms(base, teacher.theta))]
    cov = covering_radius(base.theta, n_probe=20000, rng=0)
    max_angle = max(2 * cov["radius"], np.radians(5.0))
    rows, runs = [], []
    for label, grid in grids:
        solver = choose_solver(args.solver, grid.size)
        res, cert = _solve_and_check(label, inst, lam, grid, solver, args.n_random, out)
        nu = res.measure()
        cl = cluster_to_targets(nu, teacher, max_angle=max_angle)
        status = res.status + (" (gap-verified)" if res.status != "optimal" and not res.inaccurate else "")
        rows.append([label, grid.size, status, f"{res.objective:.8f}", f"{nu.tv:.4f}", len(nu),
                     f"{cert.grid_max.value:.6f}", f"{cert.grid_gap['rel_gap']:.1e}",
                     f"{cert.random_max.value:.4f}", cert.verdict, f"{res.wall_s:.2f}"])
        runs.append({"label": label, "grid_size": grid.size, "oracle": grid.oracle, "solver": res.solver,
                     "status": res.status, "grid_rel_gap_solver": res.grid_rel_gap, "objective": res.objective, "tv": nu.tv, "n_atoms": len(nu),
                     "theta": nu.theta, "c": nu.c, "solve_wall_s": res.wall_s, "p_mismatch": res.p_mismatch,
                     "clusters": cl, **cert.to_dict()})

    out.print("")
    out.print(f"grid: {base.describe()}, covering radius >= {np.degrees(cov['radius']):.1f} deg "
              f"(from {20000} probes)")
    out.print(format_table(rows, ["grid", "G", "solver status", "J", "TV", "atoms", "max|eta| grid", "grid gap",
                                  "max|eta| sampled", "continuous", "solve s"]))
    out.print("")
    out.print(f"Atoms found vs teacher (atoms within {np.degrees(max_angle):.1f} deg of a teacher atom):")
    trows = []
    for j in range(inst.m):
        trows.append([j, f"{teacher.c[j]:.3f}"] + sum(
            ([f"{r['clusters']['mass'][j]:.4f}", int(r['clusters']['count'][j]),
              f"{np.degrees(r['clusters']['mean_angle'][j]):.2f}"] for r in runs), []))
    trows.append(["other", "-"] + sum(([f"{r['clusters']['unassigned_mass']:.4f}",
                                        int(r['clusters']['unassigned_count']), "-"] for r in runs), []))
    out.print(format_table(trows, ["teacher j", "c°_j", "plain: mass", "atoms", "mean angle deg",
                                   "oracle: mass", "atoms", "mean angle deg"]))
    out.print("")
    for r in runs:
        out.print(f"{r['label']}: {r['continuous_reason']}")

    out.print("")
    out.print("Certificates over the whole sphere (rigorous sups; oracle grid for the grid dual):")
    cert = certify_instance(inst, lam=lam, target="teacher", grid=grids[1][1], time_budget=args.time_budget,
                            solver="CLARABEL", progress=out.progress)
    out.print(format_table(cert.table_rows(), ["quantity", "value"]))
    out.print(f"verdict: {cert.verdict}: {cert.reason}")
    return {"n": inst.n, "d": inst.d, "m": inst.m, "seed": args.seed, "lam": lam,
            "teacher_theta": teacher.theta, "teacher_c": teacher.c,
            "J_teacher": lam * teacher.tv, "covering_radius": cov["radius"], "runs": runs,
            "verdict": cert.verdict, "reason": cert.reason, "certificate": cert.to_dict()}
