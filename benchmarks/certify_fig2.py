"""Conditions (10) on the paper's Fig. 2 setting (m = d = 5, n = 100), seeds 0..9.

For each seed: the rigorous verdict for the teacher (through eta_V, see
certificates/verdict.py), the sup |eta_V| bracket off the atom cells, the
violating direction (angle to the nearest atom, eta_V there, eta_V at the
centroid of the atoms), the Assumption 4.3 margin, and -- for comparison -- the
grid p_0 on a cube grid plus the teacher's atoms (an ORACLE grid): its max on
the grid and its rigorous sup over the sphere.  Optional n-sweep (--sweep).

Usage:  python benchmarks/certify_fig2.py [--seeds 10] [--budget 60] [--grid-size 4000] [--sweep]
Writes benchmarks/results/certify_fig2.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from blasso.cli._common import format_table
from blasso.jsonio import to_jsonable
from blasso.features import eta
from blasso.instance import make_instance
from blasso.progress import TerminalProgress
from blasso.sphere import make_grid
from blasso.certificates.dual import basis_pursuit_certificate
from blasso.certificates.sup import sup_abs_eta
from blasso.certificates.verdict import check_conditions
from blasso.solvers import solve_lasso


def spurious_mass(inst, lams=(1e-3, 1e-4), G: int = 5000) -> dict:
    """Grid LASSO on random directions + the teacher's atoms: mass > 5 deg away from the teacher."""
    nu = inst.teacher_measure()
    grid = make_grid("random", G, inst.d, rng=1, oracle_atoms=nu.theta)
    out = {}
    for lam in lams:
        mu = solve_lasso(inst.X, inst.y, lam, grid, solver="CLARABEL").measure()
        far = np.degrees(np.arccos(np.clip(mu.theta @ nu.theta.T, -1, 1))).min(axis=1) > 5
        out[f"{lam:g}"] = {"atoms": len(mu), "far_atoms": int(far.sum()), "far_mass": float(np.abs(mu.c[far]).sum()),
                           "tv": mu.tv}
    return out


def one(seed: int, n: int, budget: float, grid_size: int, with_grid: bool, lasso: bool = False) -> dict:
    inst = make_instance(teacher="paper", n=n, d=5, m=5, seed=seed)
    nu = inst.teacher_measure()
    t0 = time.perf_counter()
    res = check_conditions(inst.X, nu, time_budget=budget, rng=seed)
    t_cond = time.perf_counter() - t0
    row = {"seed": seed, "n": n, "verdict": res.verdict, "reason": res.reason, "margin": res.margin,
           "eta_V_sup_lo": res.sup.lo if res.sup else None, "eta_V_sup_hi": res.sup.hi if res.sup else None,
           "sup_stopped": res.sup.stopped if res.sup else None, "sup_method": res.sup.method if res.sup else None,
           "assumption_4_3_margin": float(res.pre.margins.min()), "p_V_residual": res.pre.residual,
           "p_V_norm": float(np.linalg.norm(res.pre.p)), "conditions_s": t_cond,
           "violating_theta": res.violating_theta, "margin_curve": res.curve}
    if res.violating_theta is not None:
        row["violation_angle_deg"] = float(np.degrees(np.min(np.arccos(np.clip(nu.theta @ res.violating_theta, -1, 1)))))
    cen = nu.theta.sum(axis=0)
    row["eta_V_at_centroid"] = float(eta(res.pre.p, inst.X, (cen / np.linalg.norm(cen))[None])[0])
    if with_grid:
        grid = make_grid("auto", grid_size, 5, oracle_atoms=nu.theta)
        t1 = time.perf_counter()
        bp = basis_pursuit_certificate(inst.X, inst.y, grid)
        sg = sup_abs_eta(bp.p, inst.X, tol=1e-6, time_budget=budget, rng=seed, extra_starts=nu.theta)
        row.update({"grid_size": grid.size, "grid_bp_value": bp.value, "p0_grid_max": float(np.abs(bp.eta_grid).max()),
                    "p0_sup_lo": sg.lo, "p0_sup_hi": sg.hi, "p0_sup_stopped": sg.stopped,
                    "p0_dist_to_pV": float(np.linalg.norm(bp.p - res.pre.p) / np.linalg.norm(res.pre.p)),
                    "p0_sphere_s": time.perf_counter() - t1,
                    "p0_argmax_angle_deg": float(np.degrees(np.min(np.arccos(np.clip(nu.theta @ sg.theta_lo, -1, 1)))))})
    if lasso:
        row["lasso_spurious"] = spurious_mass(inst)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--grid-size", type=int, default=4000)
    ap.add_argument("--lasso", action="store_true", help="also the spurious LASSO mass at lam = 1e-3, 1e-4")
    ap.add_argument("--sweep", action="store_true", help="also n in 200, 400, 800 (seeds 0..4, no grid)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "certify_fig2.json"))
    args = ap.parse_args(argv)
    progress = TerminalProgress(sys.stderr)
    rows = []
    for s in range(args.seeds):
        progress("seeds", s, args.seeds)
        rows.append(one(s, 100, args.budget, args.grid_size, True, args.lasso))
    progress("seeds", args.seeds, args.seeds)
    table = [[r["seed"], r["verdict"], f"{r['margin']:+.4f}", f"[{r['eta_V_sup_lo']:.6f}, {r['eta_V_sup_hi']:.6f}]",
              f"{r.get('violation_angle_deg', float('nan')):.1f}", f"{r['eta_V_at_centroid']:.4f}",
              f"{r['assumption_4_3_margin']:.1e}", f"{r['conditions_s']:.1f}",
              f"{r['p0_grid_max']:.6f}", f"[{r['p0_sup_lo']:.5f}, {r['p0_sup_hi']:.5f}]",
              f"{r['p0_argmax_angle_deg']:.1f}", f"{r['p0_sphere_s']:.1f}"] for r in rows]
    print("Fig. 2 setting: teacher=paper, n=100, d=m=5; conditions (10) via eta_V (rigorous)")
    print(format_table(table, ["seed", "verdict", "margin", "sup|eta_V| off atom cells", "viol.deg",
                               "eta_V(centroid)", "A4.3", "t[s]", "grid max|eta_0|",
                               "sup|eta_0| sphere", "argmax deg", "t[s]"]))
    if args.lasso:
        print("\ngrid LASSO (5000 random + teacher atoms, CLARABEL): atoms / atoms > 5 deg from the teacher / their mass")
        print(format_table([[r["seed"]] + [f"{v['atoms']} / {v['far_atoms']} / {v['far_mass']:.4f}"
                                           for v in r["lasso_spurious"].values()] for r in rows],
                           ["seed"] + [f"lam={k}" for k in rows[0]["lasso_spurious"]]))
    sweep = []
    if args.sweep:
        for n in (200, 400, 800):
            for s in range(5):
                sweep.append(one(s, n, args.budget, args.grid_size, False))
        print("\nn-sweep (seeds 0..4):")
        print(format_table([[r["n"], r["seed"], r["verdict"], f"{r['margin']:+.2e}",
                             f"[{r['eta_V_sup_lo']:.6f}, {r['eta_V_sup_hi']:.6f}]",
                             f"{r.get('violation_angle_deg', float('nan')):.1f}", f"{r['conditions_s']:.1f}"]
                            for r in sweep], ["n", "seed", "verdict", "margin", "sup|eta_V|", "viol.deg", "t[s]"]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(to_jsonable({"setting": "paper teacher, n=100, d=m=5", "rows": rows,
                                           "sweep": sweep, "budget_s": args.budget}), indent=1) + "\n")
    print(f"\nwritten {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
