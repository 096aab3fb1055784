"""``blasso demo``: the paper's Fig. 2 instance end to end (study: :mod:`blasso.studies.demo`)."""

from __future__ import annotations

import numpy as np

from blasso.studies.demo import run_demo
from blasso.solvers import LASSO_SOLVERS

from ._common import SOLVER_POLICY, float_type, format_table, int_type, seed_type

NAME = "demo"
HELP = "run the paper's Fig. 2 instance (m=d=5, n=100) end to end: grid LASSO, oracle grid, certificate checks"


def add_arguments(p) -> None:
    p.add_argument("--seed", type=seed_type, default=0, help="instance seed (default 0)")
    p.add_argument("--lam", type=float_type(minimum=0.0, strict=True), default=1e-3,
                   help="regularisation (default 1e-3)")
    p.add_argument("--grid-size", type=int_type(), default=10000, help="approximate grid size (default 10000)")
    p.add_argument("--solver", default="AUTO", type=str.upper, choices=LASSO_SOLVERS,
                   help=f"grid LASSO solver ({SOLVER_POLICY}; the certificate's grid problems use CLARABEL)")
    p.add_argument("--n-random", type=int_type(), default=200000,
                   help="random directions for the sampled check of |eta| (default 200000)")
    p.add_argument("--time-budget", type=float_type(minimum=0.0, strict=True), default=60.0,
                   help="seconds for the rigorous sphere-wide sups (default 60)")


def _run_row(r) -> list:
    res, cert, nu = r["result"], r["grid_certificate"], r["measure"]
    status = res.status + (" (gap-verified)" if res.status != "optimal" and not res.inaccurate else "")
    return [r["label"], r["grid"].size, status, f"{res.objective:.8f}", f"{nu.tv:.4f}", len(nu),
            f"{cert.grid_max.value:.6f}", f"{cert.grid_gap['rel_gap']:.1e}", f"{cert.random_max.value:.4f}",
            cert.verdict, f"{res.wall_s:.2f}"]


def _run_figures(r) -> dict:
    res, nu = r["result"], r["measure"]
    return {"label": r["label"], "grid_size": r["grid"].size, "oracle": r["grid"].oracle, "solver": res.solver,
            "status": res.status, "grid_rel_gap_solver": res.grid_rel_gap, "objective": res.objective, "tv": nu.tv,
            "n_atoms": len(nu), "solve_wall_s": res.wall_s, "p_mismatch": res.p_mismatch,
            "clusters": r["clusters"], **r["grid_certificate"].to_dict()}


def _print_clusters(out, d, runs) -> None:
    teacher = d["teacher"]
    out.print(f"Atoms found vs teacher (atoms within {np.degrees(d['max_angle']):.1f} deg of a teacher atom):")
    rows = []
    for j in range(len(teacher)):
        rows.append([j, f"{teacher.c[j]:.3f}"] + sum(
            ([f"{r['clusters']['mass'][j]:.4f}", int(r['clusters']['count'][j]),
              f"{np.degrees(r['clusters']['mean_angle'][j]):.2f}"] for r in runs), []))
    rows.append(["other", "-"] + sum(([f"{r['clusters']['unassigned_mass']:.4f}",
                                       int(r['clusters']['unassigned_count']), "-"] for r in runs), []))
    out.print(format_table(rows, ["teacher j", "c°_j", "plain: mass", "atoms", "mean angle deg",
                                  "oracle: mass", "atoms", "mean angle deg"]))


def run(args, out) -> dict:
    out.print(f"Paper's Fig. 2 instance: teacher m=5 (orthonormal, a°=1), d=5, n=100 uniform on the sphere, "
              f"noiseless, seed={args.seed}, lam={args.lam:g}")
    d = run_demo(seed=args.seed, lam=args.lam, grid_size=args.grid_size, solver=args.solver,
                 n_random=args.n_random, time_budget=args.time_budget, progress=out.progress)
    teacher, runs, cert = d["teacher"], d["runs"], d["certificate"]
    out.print(f"J(teacher) = lam * TV = {args.lam * teacher.tv:.6g} (an upper bound on J*)")
    out.print("")
    out.print(f"grid: {d['base_grid'].describe()}, covering radius >= {np.degrees(d['covering']['radius']):.1f} deg "
              f"(from {d['n_probe']} probes)")
    out.print(format_table([_run_row(r) for r in runs],
                           ["grid", "G", "solver status", "J", "TV", "atoms", "max|eta| grid", "grid gap",
                            "max|eta| sampled", "continuous", "solve s"]))
    out.print("")
    _print_clusters(out, d, runs)
    out.print("")
    for r in runs:
        out.print(f"{r['label']}: {r['grid_certificate'].to_dict()['continuous_reason']}")
    out.print("")
    out.print("Certificates over the whole sphere (rigorous sups; oracle grid for the grid dual):")
    out.print(format_table(cert.table_rows(), ["quantity", "value"]))
    out.print(f"verdict: {cert.verdict}: {cert.reason}")
    figures = {"lam": args.lam, "J_teacher": args.lam * teacher.tv, "covering_radius": d["covering"]["radius"],
               "runs": [_run_figures(r) for r in runs], "verdict": cert.verdict, "reason": cert.reason,
               "certificate": cert.to_dict()}
    return {"figures": figures, "sizes": d["instance"].sizes(), "seeds": {"instance_seed": args.seed},
            "measures": {"teacher": teacher, **{r["label"]: r["measure"] for r in runs}},
            "solver_status": {r["label"]: r["result"].status for r in runs},
            "solvers": sorted({r["result"].solver for r in runs} | {"CLARABEL"})}
