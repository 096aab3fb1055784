"""The paper's Fig. 2 instance end to end (what ``blasso demo`` reports).

Teacher of Assumption 3.2 (m = d = 5, orthonormal directions, weights 1),
n = 100 inputs uniform on S^4, noiseless labels; the grid LASSO on a plain
grid and on the oracle grid (grid + teacher atoms); grid KKT, gap and a
sampled sphere-wide check of the dual certificate; then the rigorous
certificate verdict (conditions (10) for the teacher through eta_V, the
sphere-wide sup of the grid dual, and the certified bracket for J*).
"""

from __future__ import annotations

import numpy as np

from ..instance import make_instance
from ..measure import cluster_to_targets
from ..progress import as_progress
from ..sphere import add_atoms, covering_radius, make_grid

__all__ = ["run_demo"]


def _grid_run(label, inst, lam, grid, solver, n_random, max_angle, say) -> dict:
    from blasso.certificates import grid_certificate
    from blasso.solvers import choose_solver, solve_lasso

    name = choose_solver(solver, grid.size, n=inst.n)
    say(f"{label}: {grid.describe()}; solving the grid LASSO with {name} ...")
    res = solve_lasso(inst.X, inst.y, lam, grid, solver=name)
    say(f"{label}: {res.solver} {res.status} in {res.wall_s:.2f}s; checking |eta| on the grid and "
        f"{n_random} random directions ...")
    cert = grid_certificate(res, inst.X, inst.y, n_random=n_random, rng=1)
    nu = res.measure()
    return {"label": label, "grid": grid, "result": res, "grid_certificate": cert, "measure": nu,
            "clusters": cluster_to_targets(nu, inst.teacher_measure(), max_angle=max_angle)}


def run_demo(*, seed: int = 0, lam: float = 1e-3, grid_size: int = 10000, solver: str = "AUTO",
             n_random: int = 200000, time_budget: float = 60.0, n_probe: int = 20000, progress=None) -> dict:
    """Plain and oracle grid solves, sampled checks, then :func:`blasso.certificates.certify_instance`.

    Parameters
    ----------
    seed : int
        Instance seed.
    lam : float
    grid_size : int
        Approximate size of the plain (``auto``) grid.
    solver : str
        Grid LASSO solver (``AUTO`` resolved per grid).
    n_random : int
        Random directions of the sampled ``|eta|`` check.
    time_budget : float
        Seconds for the rigorous sups of the certificate.
    n_probe : int
        Probes of the covering-radius estimate.
    progress : callable, optional
        A :mod:`blasso.progress` hook.

    Returns
    -------
    dict
        ``instance``, ``teacher``, ``base_grid``, ``covering``, ``max_angle``
        (radians, clustering radius), ``runs`` (plain, oracle) and
        ``certificate`` (:class:`blasso.certificates.verdict.CertifyReport`).
    """
    from blasso.certificates import certify_instance

    say = as_progress(progress)
    inst = make_instance(teacher="paper", n=100, d=5, m=5, seed=seed, lam=lam)
    teacher = inst.teacher_measure()
    base = make_grid("auto", grid_size, inst.d)
    cov = covering_radius(base.theta, n_probe=n_probe, rng=0)
    max_angle = max(2 * cov["radius"], np.radians(5.0))
    runs = [_grid_run(label, inst, lam, grid, solver, n_random, max_angle, say)
            for label, grid in (("plain grid", base), ("oracle grid", add_atoms(base, teacher.theta)))]
    cert = certify_instance(inst, lam=lam, target="teacher", grid=runs[1]["grid"], time_budget=time_budget,
                            solver="CLARABEL", progress=say)
    return {"instance": inst, "teacher": teacher, "base_grid": base, "covering": cov, "max_angle": max_angle,
            "n_probe": n_probe, "runs": runs, "certificate": cert}
